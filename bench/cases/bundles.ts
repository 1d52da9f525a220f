// Bench: the size of every Lambda function's bundle and the time a fresh Node process takes to
// import it, measured on the synthesized assets. By default the app is synthesized here with
// bundling (into .local/bench/cdk.out); BENCH_BUNDLES_CDK_OUT=cdk.out measures the output of an
// earlier `npx cdk synth` instead.
// Each function is imported as Lambda resolves it: its asset and its layer are copied into
// .local/bench/lambda as `opt/nodejs/task/<function>` beside the layer's `opt/nodejs/node_modules`,
// so that a package the bundle leaves out resolves first in the function's own node_modules (the
// tracer), then in the layer (the pre-bundled AWS SDK and Powertools), then in the repository's
// node_modules (standing for the runtime's own SDK, which Lambda searches last).
// Each bundle is imported BENCH_BUNDLES_ROUNDS times (default 7), the functions in turn, each time
// in a new process under the function's own NODE_OPTIONS; wall and CPU time are both reported (on a
// busy machine the CPU time is the better estimate of the wall time on an idle core). Beside each,
// the same measure of importing only the layer's packages the bundle imports (the part no bundle
// setting of the function changes), and the size of the layer's code those imports load.
// Ends with one JSON line:
// {"bench":"bundles","functions":…,"maxKb":…,"maxImportMs":…,"maxImportCpuMs":…} (the largest
// bundle, the slowest median import).
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { FUNCTION_ENTRY_METADATA, TRACER_PACKAGE } from '../../lib/constructs/kpi-function';
import { LAYER_NODE_MODULES } from '../../lib/constructs/runtime-libraries-layer';
import { repoRoot as root } from '../../lib/repo-root';
import { AWS_SERVICE_PACKAGES, type AwsService } from '../../src/adapters/aws/clients';

const ROUNDS = Number(process.env.BENCH_BUNDLES_ROUNDS ?? 7);
const execFileAsync = promisify(execFile);

interface FunctionAsset {
  readonly entry: string;
  readonly dir: string;
  /** The asset folders of the function's layers, in the template's order. */
  readonly layers: readonly string[];
  readonly nodeOptions: string | undefined;
}

interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
}

interface Figures {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

function figures(samples: readonly number[]): Figures {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    min: sorted[0] ?? Number.NaN,
    median: sorted[Math.floor(sorted.length / 2)] ?? Number.NaN,
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

function kb(bytes: number): number {
  return Math.round((bytes / 1024) * 10) / 10;
}

/** Synthesizes the app with bundling (no cdk-nag, no template validation: only the assets matter). */
async function synthesize(outdir: string): Promise<void> {
  rmSync(outdir, { recursive: true, force: true });
  const { buildApp } = await import('../../lib/app');
  // Asset metadata (which asset folder is whose code) is on when the cdk CLI synthesizes; ask for it.
  buildApp({ nag: false, validate: false, outdir, context: { 'aws:cdk:enable-asset-metadata': true } }).app.synth();
}

/** Every function handler of every template in `cdkOut`, once, with its asset folder and NODE_OPTIONS. */
function functionAssets(cdkOut: string): FunctionAsset[] {
  const assets: FunctionAsset[] = [];
  for (const file of readdirSync(cdkOut).filter((f) => f.endsWith('.template.json'))) {
    const template = JSON.parse(readFileSync(path.join(cdkOut, file), 'utf8')) as {
      Resources?: Record<
        string,
        {
          Type: string;
          Metadata?: Record<string, unknown>;
          Properties?: { Environment?: { Variables?: Record<string, unknown> }; Layers?: unknown[] };
        }
      >;
    };
    const resources = template.Resources ?? {};
    const layerPath = (layer: unknown): string => {
      const ref = (layer as { Ref?: string }).Ref;
      const asset = ref ? resources[ref]?.Metadata?.['aws:asset:path'] : undefined;
      if (typeof asset !== 'string')
        throw new Error(`${file}: a function's layer ${JSON.stringify(layer)} has no asset`);
      return path.resolve(cdkOut, asset);
    };
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const entry = resource.Metadata?.[FUNCTION_ENTRY_METADATA];
      const assetPath = resource.Metadata?.['aws:asset:path'];
      if (typeof entry !== 'string' || typeof assetPath !== 'string') continue;
      // Two functions of one handler (the weekly and monthly review packs) are one bundle: measured once.
      if (assets.some((asset) => asset.entry === entry)) continue;
      const nodeOptions = resource.Properties?.Environment?.Variables?.NODE_OPTIONS;
      assets.push({
        entry,
        dir: path.resolve(cdkOut, assetPath),
        layers: (resource.Properties?.Layers ?? []).map(layerPath),
        nodeOptions: typeof nodeOptions === 'string' ? nodeOptions : undefined,
      });
    }
  }
  return assets.sort((a, b) => a.entry.localeCompare(b.entry));
}

/**
 * Wall and CPU milliseconds from the first `import()` to the last module evaluated, in a new Node
 * process (the pinned Node 24) whose working folder is `cwd`.
 */
async function importTime(
  specifiers: readonly string[],
  nodeOptions: string | undefined,
  cwd: string,
): Promise<Sample> {
  const imports = specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ');
  const script = `const c = process.cpuUsage(); const t = performance.now(); ${imports} const u = process.cpuUsage(c); process.stdout.write(JSON.stringify({ wallMs: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));`;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', LAMBDA_TASK_ROOT: cwd };
  if (nodeOptions) env.NODE_OPTIONS = nodeOptions;
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd, env });
  return JSON.parse(stdout) as Sample;
}

/**
 * CPU milliseconds of importing `later` in a new process that has imported `first` already: what a
 * function's first invocation on a path that needs an on-demand client adds to its cold start.
 */
async function laterImportCpu(first: readonly string[], later: readonly string[], cwd: string): Promise<number> {
  const load = (specifiers: readonly string[]) =>
    specifiers.map((s) => `await import(${JSON.stringify(s)});`).join(' ');
  const script = `${load(first)} const c = process.cpuUsage(); ${load(later)} const u = process.cpuUsage(c); process.stdout.write(String((u.user + u.system) / 1000));`;
  const env: Record<string, string> = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', LAMBDA_TASK_ROOT: cwd };
  const { stdout } = await execFileAsync(process.execPath, ['--input-type=module', '-e', script], { cwd, env });
  return Number(stdout);
}

/** The SDK packages of the clients a function loads on first use (its handler's `lazyClients`). */
async function onDemandPackages(entry: string): Promise<string[]> {
  const module = (await import(pathToFileURL(path.join(root, 'functions', `${entry}.ts`)).href)) as {
    services?: { onDemand: readonly AwsService[] };
  };
  return [...new Set((module.services?.onDemand ?? []).flatMap((service) => AWS_SERVICE_PACKAGES[service]))].sort();
}

/** The packages a bundle imports statically (those it loads at import time) and leaves out of itself. */
function packageImports(bundle: string): string[] {
  const found = bundle.matchAll(
    /(?:^|[;}])import\s*(?:\{[^}]*\}|\*\s*as\s*[\w$]+|[\w$]+)\s*from\s*"((?:@[^"/]+\/)?[^".][^"]*)"/g,
  );
  return [...new Set([...found].map((m) => m[1] as string))].filter((name) => !name.startsWith('node:')).sort();
}

/**
 * A copy of each function's asset laid out as Lambda resolves it (see the header): returns the
 * folder to import each function from.
 */
function lambdaLayout(functions: readonly FunctionAsset[], into: string): Map<string, string> {
  rmSync(into, { recursive: true, force: true });
  const nodejs = path.join(into, 'opt', 'nodejs');
  const layers = [...new Set(functions.flatMap((f) => f.layers))];
  // Lambda extracts the layers into one /opt, later layers over earlier ones; the pipeline has one.
  for (const layer of layers)
    cpSync(path.join(layer, LAYER_NODE_MODULES), path.join(nodejs, 'node_modules'), { recursive: true });
  const dirs = new Map<string, string>();
  for (const fn of functions) {
    const dir = path.join(nodejs, 'task', fn.entry);
    mkdirSync(dir, { recursive: true });
    cpSync(fn.dir, dir, { recursive: true });
    dirs.set(fn.entry, dir);
  }
  return dirs;
}

/** Bytes of the layer's files a set of package imports loads (their entries and the chunks they import). */
function layerBytes(nodeModules: string, packages: readonly string[]): number {
  const seen = new Set<string>();
  const visit = (file: string) => {
    if (seen.has(file) || !existsSync(file)) return;
    seen.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:import|from)\s*"(\.\.?\/[^"]+)"/g))
      visit(path.resolve(path.dirname(file), m[1] as string));
  };
  for (const name of packages) visit(path.join(nodeModules, ...name.split('/'), 'index.js'));
  return [...seen].reduce((sum, file) => sum + statSync(file).size, 0);
}

export async function run(): Promise<void> {
  const cdkOut = process.env.BENCH_BUNDLES_CDK_OUT
    ? path.resolve(root, process.env.BENCH_BUNDLES_CDK_OUT)
    : path.join(root, '.local', 'bench', 'cdk.out');
  if (process.env.BENCH_BUNDLES_CDK_OUT) {
    if (!existsSync(cdkOut)) throw new Error(`BENCH_BUNDLES_CDK_OUT: ${cdkOut} does not exist`);
    console.log(`assets of ${path.relative(root, cdkOut)}`);
  } else {
    const started = performance.now();
    await synthesize(cdkOut);
    console.log(`synthesized with bundling in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  }
  const functions = functionAssets(cdkOut);
  if (functions.length === 0) throw new Error(`no bundled function in ${cdkOut}`);

  const layout = path.join(root, '.local', 'bench', 'lambda');
  const taskDirs = lambdaLayout(functions, layout);
  const layerModules = path.join(layout, 'opt', 'nodejs', 'node_modules');
  const taskDir = (fn: FunctionAsset) => taskDirs.get(fn.entry) as string;
  const bundleSamples = new Map<string, Sample[]>(functions.map((f) => [f.entry, []]));
  const libSamples = new Map<string, Sample[]>(functions.map((f) => [f.entry, []]));
  const libs = new Map(
    functions.map((f) => [f.entry, packageImports(readFileSync(path.join(taskDir(f), 'index.mjs'), 'utf8'))]),
  );
  for (const fn of functions) {
    const missing = (libs.get(fn.entry) ?? []).filter(
      (name) => !existsSync(path.join(layerModules, ...name.split('/'))),
    );
    if (missing.length > 0) {
      console.log(
        `${fn.entry}: not in the layer, resolved from node_modules (the runtime's SDK on Lambda): ${missing.join(', ')}`,
      );
    }
  }
  const onDemand = new Map<string, string[]>();
  for (const fn of functions) {
    const later = (await onDemandPackages(fn.entry)).filter((name) => !libs.get(fn.entry)?.includes(name));
    if (later.length > 0) onDemand.set(fn.entry, later);
  }
  const laterSamples = new Map<string, number[]>([...onDemand.keys()].map((entry) => [entry, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (const fn of functions) {
      const bundleUrl = pathToFileURL(path.join(taskDir(fn), 'index.mjs')).href;
      bundleSamples.get(fn.entry)?.push(await importTime([bundleUrl], fn.nodeOptions, taskDir(fn)));
      libSamples.get(fn.entry)?.push(await importTime(libs.get(fn.entry) ?? [], undefined, taskDir(fn)));
      const later = onDemand.get(fn.entry);
      if (later) laterSamples.get(fn.entry)?.push(await laterImportCpu([bundleUrl], later, taskDir(fn)));
    }
  }

  const rows = functions.map((fn) => {
    const bundle = statSync(path.join(fn.dir, 'index.mjs')).size;
    const map = path.join(fn.dir, 'index.mjs.map');
    const tracer = path.join(fn.dir, 'node_modules', ...TRACER_PACKAGE.split('/'), 'index.cjs');
    return {
      fn,
      bundleKb: kb(bundle),
      mapKb: existsSync(map) ? kb(statSync(map).size) : 0,
      tracerKb: existsSync(tracer) ? kb(statSync(tracer).size) : 0,
      layerKb: kb(layerBytes(layerModules, libs.get(fn.entry) ?? [])),
      wall: figures((bundleSamples.get(fn.entry) ?? []).map((s) => s.wallMs)),
      cpu: figures((bundleSamples.get(fn.entry) ?? []).map((s) => s.cpuMs)),
      libCpu: figures((libSamples.get(fn.entry) ?? []).map((s) => s.cpuMs)),
    };
  });
  const range = (f: Figures) => `${f.min.toFixed(0)} / ${f.median.toFixed(0)} / ${f.max.toFixed(0)}`;
  console.log(
    `import ms, min / median / max of ${ROUNDS} fresh processes, packages resolved as on Lambda (the function's node_modules, the layer, the runtime); "layer" is the layer code the bundle's imports load and "layer only" the import of just those packages`,
  );
  console.log(
    `${'function'.padEnd(18)} ${'bundle'.padStart(9)} ${'map'.padStart(9)} ${'tracer'.padStart(9)} ${'layer'.padStart(9)}  ${'wall'.padStart(15)}  ${'CPU'.padStart(15)}  ${'layer only, CPU'.padStart(15)}`,
  );
  for (const row of rows) {
    const options = row.fn.nodeOptions ? `   (NODE_OPTIONS=${row.fn.nodeOptions})` : '';
    console.log(
      `${row.fn.entry.padEnd(18)} ${`${row.bundleKb} KB`.padStart(9)} ${`${row.mapKb} KB`.padStart(9)} ${`${row.tracerKb} KB`.padStart(9)} ${`${row.layerKb} KB`.padStart(9)}  ${range(row.wall).padStart(15)}  ${range(row.cpu).padStart(15)}  ${range(row.libCpu).padStart(15)}${options}`,
    );
  }

  // Clients loaded on the first invocation that needs them: what that invocation adds, after the import.
  for (const [entry, later] of onDemand) {
    console.log(
      `${entry}, clients loaded on first use: ${later.join(', ')}: +${range(figures(laterSamples.get(entry) ?? []))} ms CPU on the first invocation that sends through them`,
    );
  }

  // Modules a function loads on demand beside its bundle (e.g. the compute function's forecasting
  // code and model, read on the first forecast; the review pack's page, on the first pack built), and
  // what importing each bundled one (.mjs) adds after the function's bundle, in one fresh process.
  for (const row of rows) {
    const files = readdirSync(taskDir(row.fn), { withFileTypes: true }).filter(
      (f) => f.isFile() && !f.name.startsWith('index.mjs') && /\.(mjs|js|cjs|wasm)$/.test(f.name),
    );
    if (files.length === 0) continue;
    const described: string[] = [];
    for (const file of files) {
      const size = `${file.name} ${kb(statSync(path.join(taskDir(row.fn), file.name)).size)} KB`;
      if (!file.name.endsWith('.mjs')) {
        described.push(size);
        continue;
      }
      const bundleUrl = pathToFileURL(path.join(taskDir(row.fn), 'index.mjs')).href;
      const fileUrl = pathToFileURL(path.join(taskDir(row.fn), file.name)).href;
      const cpu: number[] = [];
      for (let round = 0; round < ROUNDS; round++)
        cpu.push(await laterImportCpu([bundleUrl], [fileUrl], taskDir(row.fn)));
      described.push(`${size} (import +${range(figures(cpu))} ms CPU)`);
    }
    console.log(`${row.fn.entry}, loaded on demand: ${described.join(', ')}`);
  }

  // What tracing adds when it is on: the tracer package, imported in a new process of its own.
  const withTracer = rows.find((row) => row.tracerKb > 0);
  if (withTracer) {
    const tracer = path.join(taskDir(withTracer.fn), 'node_modules', ...TRACER_PACKAGE.split('/'), 'index.cjs');
    const tracerMs: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      tracerMs.push((await importTime([pathToFileURL(tracer).href], undefined, taskDir(withTracer.fn))).wallMs);
    }
    console.log(
      `tracer package (loaded at the first invocation when tracing is on): ${range(figures(tracerMs))} ms wall`,
    );
  }

  if (existsSync(layerModules)) {
    const layerFiles = readdirSync(layerModules, { recursive: true, withFileTypes: true }).filter((f) => f.isFile());
    const layerTotal = layerFiles.reduce((sum, f) => sum + statSync(path.join(f.parentPath, f.name)).size, 0);
    console.log(`layer: ${kb(layerTotal)} KB in ${layerFiles.length} files (every package, all functions share it)`);
  } else {
    console.log('no layer: every package the bundles leave out resolves to node_modules (the runtime on Lambda)');
  }

  console.log(
    JSON.stringify({
      bench: 'bundles',
      functions: rows.length,
      maxKb: Math.max(...rows.map((row) => row.bundleKb)),
      maxImportMs: Math.round(Math.max(...rows.map((row) => row.wall.median))),
      maxImportCpuMs: Math.round(Math.max(...rows.map((row) => row.cpu.median))),
    }),
  );
}
