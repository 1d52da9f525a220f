// CDK: the one Lambda layer, shared by every function of a stack. It holds the AWS SDK packages the
// pipeline depends on and the Powertools logger and metrics, at the versions of package-lock.json,
// pre-bundled by esbuild into minified ES modules that share their common code (the Smithy core,
// the credential chain) in chunks. The functions' bundles leave these packages out; on Lambda they
// resolve to /opt/nodejs/node_modules, which the Node.js runtime searches before its own SDK.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { AssetHashType, DockerImage, Stack } from 'aws-cdk-lib';
import { Architecture, Code, LayerVersion, Runtime } from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { repoRoot } from '../repo-root';

/** Powertools packages the handlers import at cold start, shipped in the layer beside the SDK. */
export const POWERTOOLS_LAYER_PACKAGES = ['@aws-lambda-powertools/logger', '@aws-lambda-powertools/metrics'] as const;

/** Where the packages sit inside the layer (`/opt/nodejs/node_modules` on Lambda). */
export const LAYER_NODE_MODULES = path.join('nodejs', 'node_modules');

/** Lets CommonJS dependencies call require() from an ES module of the layer. */
const LAYER_REQUIRE_BANNER =
  "import { createRequire as __layerCreateRequire } from 'node:module';const require = __layerCreateRequire(import.meta.url);";

/**
 * The packages of the layer: every `@aws-sdk/*` dependency of package.json (so a client a handler
 * starts to use is in the layer as soon as it is a dependency) and the Powertools logger and metrics.
 */
export function runtimeLibraryPackages(): string[] {
  const manifest = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as {
    dependencies?: Record<string, string>;
  };
  const sdk = Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@aws-sdk/'));
  return [...sdk, ...POWERTOOLS_LAYER_PACKAGES].sort();
}

/**
 * Writes the layer's content into `outputDir`: each package as `nodejs/node_modules/<name>/index.js`
 * (an ES module with a package.json whose `exports` names it), the code they share in
 * `nodejs/node_modules/.chunks`. Versions are those installed from package-lock.json.
 */
export function buildRuntimeLibraries(outputDir: string, packages: readonly string[] = runtimeLibraryPackages()): void {
  const esbuild = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
  const outdir = path.join(outputDir, LAYER_NODE_MODULES);
  esbuild.buildSync({
    absWorkingDir: repoRoot,
    entryPoints: Object.fromEntries(packages.map((name) => [`${name}/index`, name])),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node24',
    minify: true,
    mainFields: ['module', 'main'],
    outdir,
    chunkNames: '.chunks/[name]-[hash]',
    banner: { js: LAYER_REQUIRE_BANNER },
    logLevel: 'warning',
  });
  for (const name of packages) {
    const { version } = JSON.parse(
      readFileSync(path.join(repoRoot, 'node_modules', ...name.split('/'), 'package.json'), 'utf8'),
    ) as { version: string };
    writeFileSync(
      path.join(outdir, ...name.split('/'), 'package.json'),
      `${JSON.stringify({ name, version, type: 'module', exports: './index.js', main: './index.js' })}\n`,
    );
  }
}

/**
 * The stack's runtime-libraries layer (created on first use). Its asset hash is that of the lock
 * file and the package list, so a new layer version is published exactly when a version changes.
 */
export class RuntimeLibrariesLayer extends Construct {
  readonly layer: LayerVersion;

  /** The layer of `scope`'s stack. */
  static of(scope: Construct): LayerVersion {
    const stack = Stack.of(scope);
    const existing = stack.node.tryFindChild('RuntimeLibraries') as RuntimeLibrariesLayer | undefined;
    return (existing ?? new RuntimeLibrariesLayer(stack, 'RuntimeLibraries')).layer;
  }

  private constructor(scope: Construct, id: string) {
    super(scope, id);
    const packages = runtimeLibraryPackages();
    const assetHash = createHash('sha256')
      .update(readFileSync(path.join(repoRoot, 'package-lock.json')))
      .update(JSON.stringify({ packages, banner: LAYER_REQUIRE_BANNER, target: 'node24' }))
      .digest('hex');
    this.layer = new LayerVersion(this, 'Layer', {
      description: `AWS SDK clients and Powertools logger/metrics, pre-bundled (${packages.length} packages)`,
      compatibleRuntimes: [Runtime.NODEJS_24_X],
      compatibleArchitectures: [Architecture.ARM_64],
      code: Code.fromAsset(path.join(repoRoot, 'lib', 'constructs'), {
        assetHashType: AssetHashType.CUSTOM,
        assetHash,
        bundling: {
          // Never pulled: the local build below always runs (esbuild is a pinned dev dependency).
          image: DockerImage.fromRegistry('public.ecr.aws/sam/build-nodejs24.x'),
          local: {
            tryBundle(outputDir: string): boolean {
              buildRuntimeLibraries(outputDir, packages);
              return true;
            },
          },
        },
      }),
    });
  }
}
