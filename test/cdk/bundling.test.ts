// The bundling settings of KpiFunction that keep functions small and quick to start, checked on a
// real bundle: one function synthesized with esbuild into a temporary folder, then imported and run
// in fresh Node processes. (Sizes and import times are measured by `npm run bench -- bundles`.)
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KpiFunction, TRACER_PACKAGE } from '../../lib/constructs/kpi-function';
import { LAYER_NODE_MODULES, runtimeLibraryPackages } from '../../lib/constructs/runtime-libraries-layer';
import { storedDefinition } from '../../src/adapters/aws/kpi-definitions';
import { FORECAST_ASSET_FILES, FORECASTER_BUNDLE } from '../../src/contracts/forecast-assets';
import { readDefinitionFile } from '../../src/contracts/kpi-definition-files';
import { REVIEW_PAGE_BUNDLE } from '../../src/contracts/review-page-bundle';
import { renderReviewPackHtml, reviewDocumentSchema } from '../../src/report/review-pack';
import { sampleValue } from '../support/kpi-values';
import { reportFixture } from '../support/report-fixture';
import { packFixture } from '../support/review-fixtures';

const run = promisify(execFile);
const repoRoot = path.resolve(import.meta.dirname, '..', '..');
const CHART_LIBRARY = 'node_modules/echarts/dist/echarts.min.js';
const DECLARATION = '{"id": "it\'s \\"quoted\\"", "note": "$HOME `x` %s"}\n';

let outdir: string;
let assetDir: string;
let template: Template;

/** Runs an ES module script in a fresh Node process whose working folder is the function's code root. */
async function node(script: string, env: Record<string, string> = {}): Promise<string> {
  const { stdout } = await run(process.execPath, ['--input-type=module', '-e', script], {
    cwd: assetDir,
    env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', ...env },
  });
  return stdout;
}

beforeAll(() => {
  // Inside the repository, as `cdk synth` writes cdk.out: the map names sources from the repository
  // root, and the bundle's `@aws-sdk/*` imports resolve to node_modules as they resolve to the
  // runtime's SDK on Lambda.
  mkdirSync(path.join(repoRoot, '.local'), { recursive: true });
  outdir = mkdtempSync(path.join(repoRoot, '.local', 'bundling-test-'));
  const app = new App({ outdir: path.join(outdir, 'cdk.out'), context: { 'aws:cdk:enable-asset-metadata': true } });
  const stack = new Stack(app, 'Bundled');
  new KpiFunction(stack, 'Probe', {
    entry: 'self-check',
    description: 'bundling test',
    serviceName: 'self-check',
    invocation: { kind: 'synchronous', caller: 'the test' },
    bundledFiles: { 'kpis/datasets/quoted.json': DECLARATION },
    // As the compute function carries its forecasting code and model, and the review-pack function
    // its page's renderer and the chart library the page inlines.
    copiedFiles: [
      ...FORECAST_ASSET_FILES.map((file) => `node_modules/@bsull/augurs/${file}`),
      { from: CHART_LIBRARY, to: CHART_LIBRARY },
    ],
    lazyBundles: {
      [FORECASTER_BUNDLE.file]: FORECASTER_BUNDLE.entry,
      [REVIEW_PAGE_BUNDLE.file]: REVIEW_PAGE_BUNDLE.entry,
    },
  });
  template = Template.fromStack(stack);
  const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
  assetDir = path.join(outdir, 'cdk.out', fn?.Metadata?.['aws:asset:path'] as string);
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

describe('KpiFunction bundling', () => {
  it('starts Node without --enable-source-maps', () => {
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn?.Properties.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
    expect(fn?.Properties.TracingConfig).toEqual({ Mode: 'Active' });
  });

  it('writes a minified ESM bundle and a source map of positions only, beside it', () => {
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    // Minified: the names of the sources' functions are gone from the code (they live in the map).
    expect(bundle).toContain('invalid environment');
    expect(bundle).not.toContain('function readEnvironment(');
    expect(bundle).toContain('//# sourceMappingURL=index.mjs.map');
    const map = JSON.parse(readFileSync(path.join(assetDir, 'index.mjs.map'), 'utf8')) as {
      sources: string[];
      sourcesContent?: unknown;
    };
    expect(map.sourcesContent).toBeUndefined();
    expect(map.sources).toContain('../../../../functions/self-check.ts');
  });

  it('leaves the tracer and the X-Ray SDK out of the bundle', () => {
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle).toContain(`import("${TRACER_PACKAGE}")`);
    expect(bundle).not.toMatch(/aws-xray-sdk|cls-hooked|AWSXRay/);
  });

  it('imports the SDK clients the handler names and no other', () => {
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    const staticImports = [...bundle.matchAll(/(?:^|[;}])import\s*\{[^}]*\}\s*from\s*"(@aws-sdk\/[^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(new Set(staticImports)).toEqual(new Set(['@aws-sdk/client-s3', '@aws-sdk/client-dynamodb']));
  });

  it('bundles zod without its locales other than English', () => {
    const map = JSON.parse(readFileSync(path.join(assetDir, 'index.mjs.map'), 'utf8')) as { sources: string[] };
    const zod = map.sources.filter((s) => s.includes('node_modules/zod/'));
    expect(zod.length).toBeGreaterThan(0);
    expect(zod.filter((s) => /\/locales\/(?!en\.js)|from-json-schema/.test(s))).toEqual([]);
  });

  it('ships the tracer as a package of its own that the bundle resolves to', async () => {
    const chunk = path.join(assetDir, 'node_modules', ...TRACER_PACKAGE.split('/'), 'index.cjs');
    expect(existsSync(chunk)).toBe(true);
    const out = await node(
      `const url = import.meta.resolve('${TRACER_PACKAGE}', 'file://${assetDir}/index.mjs');
       const { Tracer } = await import(url);
       const tracer = new Tracer({ serviceName: 'probe' });
       console.log(JSON.stringify({ url, traced: typeof tracer.captureAWSv3Client }));`,
    );
    expect(JSON.parse(out)).toEqual({ url: `file://${chunk}`, traced: 'function' });
  });

  it('bundles a lazily imported module on its own, without zod, and it forecasts from beside the bundle', async () => {
    const lazy = readFileSync(path.join(assetDir, FORECASTER_BUNDLE.file), 'utf8');
    expect(lazy.length).toBeLessThan(20_000);
    expect(lazy).not.toMatch(/ZodError|\$ZodType/);
    // A Monday-to-Sunday pattern over eight weeks; the last day is forecast.
    const definition = storedDefinition(
      readDefinitionFile(path.join(repoRoot, 'kpis/definitions/ctr.yaml')).definition,
    );
    const day = (n: number) => new Date(Date.UTC(2024, 0, 1 + n)).toISOString();
    const history = Array.from({ length: 56 }, (_, n) => ({
      periodStart: day(n),
      periodEnd: day(n + 1),
      value: 0.03 + (n % 7) * 0.001,
    }));
    const value = sampleValue({ kpiId: definition.id, periodStart: day(56), dimensions: {}, value: 0.03 });
    const input = JSON.stringify({ definition, values: [value], latestStoredFinal: null, asOf: Date.parse(day(60)) });
    const out = await node(
      `const { augursForecaster } = await import('./${FORECASTER_BUNDLE.file}');
       const input = ${input};
       const [value] = await augursForecaster().forecast({ ...input, history: () => ${JSON.stringify(history)} });
       console.log(JSON.stringify(value.forecast));`,
    );
    const forecast = JSON.parse(out) as { model: string; steps: unknown[] };
    expect(forecast.model).toMatch(/^mstl\(7\)/);
    expect(forecast.steps.length).toBeGreaterThan(0);
  });

  it("bundles the review pack's page on its own, without zod, and it renders what the sources render", async () => {
    const lazy = readFileSync(path.join(assetDir, REVIEW_PAGE_BUNDLE.file), 'utf8');
    expect(lazy).not.toMatch(/ZodError|\$ZodType/);
    const document = reviewDocumentSchema.parse({ pack: packFixture(), report: reportFixture() });
    writeFileSync(path.join(assetDir, 'document.json'), JSON.stringify(document));
    // The page inlines the chart library (~1 MB): written to a file rather than printed.
    await node(
      `import { readFileSync, writeFileSync } from 'node:fs';
       const { renderReviewPackPage } = await import('./${REVIEW_PAGE_BUNDLE.file}');
       writeFileSync('page.html', renderReviewPackPage(JSON.parse(readFileSync('document.json', 'utf8'))));`,
    );
    expect(readFileSync(path.join(assetDir, 'page.html'), 'utf8')).toBe(renderReviewPackHtml(document));
  });

  it('writes the bundled files with their exact content', () => {
    expect(readFileSync(path.join(assetDir, 'kpis', 'datasets', 'quoted.json'), 'utf8')).toBe(DECLARATION);
  });

  it('reads the source map only when an error stack is printed, and maps it to the sources', async () => {
    const out = await node(`
      import fs from 'node:fs';
      import { syncBuiltinESMExports } from 'node:module';
      const reads = [];
      const readFileSync = fs.readFileSync;
      fs.readFileSync = (file, ...rest) => {
        if (String(file).endsWith('.map')) reads.push(String(file));
        return readFileSync(file, ...rest);
      };
      syncBuiltinESMExports();
      const { handler } = await import('./index.mjs');
      const afterImport = reads.length;
      const error = await handler({}).then(() => undefined, (e) => e);
      const beforeStack = reads.length;
      const stack = error.stack;
      console.log(JSON.stringify({ afterImport, beforeStack, afterStack: reads.length, name: error.name, stack }));
    `);
    const result = JSON.parse(out) as Record<string, unknown>;
    expect(result).toMatchObject({ afterImport: 0, beforeStack: 0, afterStack: 1, name: 'ConfigurationError' });
    const stack = result.stack as string;
    expect(stack.split('\n')[0]).toMatch(/^ConfigurationError: self-check: invalid environment: /);
    expect(stack).toMatch(/at readEnvironment \(src\/runtime\/environment\.ts:\d+:\d+\)/);
    expect(stack).not.toMatch(/index\.mjs:\d+:\d+/);
  });

  it("gives the function the stack's one runtime-libraries layer", () => {
    const layers = template.findResources('AWS::Lambda::LayerVersion');
    expect(Object.keys(layers)).toHaveLength(1);
    const [fn] = Object.values(template.findResources('AWS::Lambda::Function'));
    expect(fn?.Properties.Layers).toEqual([{ Ref: Object.keys(layers)[0] }]);
    expect(Object.values(layers)[0]?.Properties).toMatchObject({
      CompatibleRuntimes: ['nodejs24.x'],
      CompatibleArchitectures: ['arm64'],
    });
  });

  it('leaves the AWS SDK and the Powertools logger and metrics to the layer, which holds them at the installed versions', async () => {
    const bundle = readFileSync(path.join(assetDir, 'index.mjs'), 'utf8');
    expect(bundle).toContain('from"@aws-lambda-powertools/logger"');
    expect(bundle).toContain('from"@aws-lambda-powertools/metrics"');
    const [layer] = Object.values(template.findResources('AWS::Lambda::LayerVersion'));
    const layerModules = path.join(
      outdir,
      'cdk.out',
      layer?.Metadata?.['aws:asset:path'] as string,
      LAYER_NODE_MODULES,
    );
    const packages = runtimeLibraryPackages();
    expect(packages).toEqual(
      expect.arrayContaining(['@aws-sdk/client-s3', '@aws-sdk/lib-dynamodb', '@aws-lambda-powertools/logger']),
    );
    for (const name of packages) {
      const installed = JSON.parse(readFileSync(path.join(repoRoot, 'node_modules', name, 'package.json'), 'utf8'));
      const shipped = JSON.parse(readFileSync(path.join(layerModules, name, 'package.json'), 'utf8'));
      expect({ name, version: shipped.version }).toEqual({ name, version: installed.version });
    }
    // Laid out as on Lambda (the layer's node_modules above the code), the bundle's packages come
    // from the layer and the handler runs to its first check.
    const opt = mkdtempSync(path.join(outdir, 'opt-'));
    cpSync(layerModules, path.join(opt, 'nodejs', 'node_modules'), { recursive: true });
    const task = path.join(opt, 'nodejs', 'task');
    cpSync(assetDir, task, { recursive: true });
    const { stdout } = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `const { handler } = await import('./index.mjs');
         const resolved = ['@aws-sdk/client-s3', '@aws-sdk/client-dynamodb', '@aws-lambda-powertools/logger'].map((name) => import.meta.resolve(name));
         const error = await handler({}).then(() => undefined, (e) => e);
         console.log(JSON.stringify({ resolved, name: error.name }));`,
      ],
      { cwd: task, env: { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1' } },
    );
    const result = JSON.parse(stdout) as { resolved: string[]; name: string };
    for (const url of result.resolved)
      expect(url.startsWith(`file://${path.join(opt, 'nodejs', 'node_modules')}/`)).toBe(true);
    expect(result.name).toBe('ConfigurationError');
  });
});
