// The layering of docs/architecture.md, checked: every relative import of a file under src/,
// functions/ and lib/ must follow an allowed arrow. Type-only imports count like any other: a type
// ties the layers together as much as a value does.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/** Where a file belongs: its folder under src/, or functions / lib. */
export type Layer =
  | 'domain'
  | 'contracts'
  | 'ports'
  | 'usecases'
  | 'adapters'
  | 'runtime'
  | 'functions'
  | 'report'
  | 'sample'
  | 'sdk'
  | 'cli'
  | 'local'
  | 'lib';

/** What each layer may import besides itself (the table in docs/architecture.md). */
export const ALLOWED: Readonly<Record<Layer, readonly Layer[]>> = {
  domain: [],
  contracts: ['domain'],
  ports: ['domain', 'contracts'],
  // The review packs are built, stored and served on the report's model and renderer: the use cases,
  // the page's HTTP adapter and the functions of the reviews may import the report.
  usecases: ['domain', 'contracts', 'ports', 'report'],
  adapters: ['domain', 'contracts', 'ports', 'report'],
  runtime: ['domain', 'contracts', 'ports', 'adapters', 'usecases'],
  functions: ['domain', 'contracts', 'ports', 'adapters', 'usecases', 'runtime', 'report'],
  report: ['domain', 'contracts', 'ports'],
  sample: ['domain', 'contracts'],
  sdk: ['domain', 'contracts', 'ports', 'adapters'],
  cli: ['domain', 'contracts', 'ports', 'adapters', 'usecases', 'runtime', 'report', 'sample', 'local'],
  local: ['domain', 'contracts', 'ports', 'adapters', 'usecases', 'runtime', 'functions', 'report', 'sample', 'lib'],
  lib: ['contracts'],
};

export interface ForbiddenImport {
  /** The importing file, relative to the root. */
  readonly file: string;
  readonly line: number;
  /** The import as written. */
  readonly specifier: string;
  readonly from: Layer;
  readonly to: Layer;
}

const SOURCE = /\.(ts|mts|cts|mjs|js)$/;
/** `import … from '…'`, `export … from '…'`, `import('…')` and side-effect `import '…'`. */
const IMPORT = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)(['"])(\.{1,2}\/[^'"]+)\1/gm;

/** The layer of a path relative to the root, or null when it is outside the checked folders. */
export function layerOf(relative: string): Layer | null {
  const [top, second] = relative.split(/[\\/]/);
  if (top === 'functions' || top === 'lib') return top;
  if (top !== 'src' || second === undefined) return null;
  return second in ALLOWED ? (second as Layer) : null;
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const entry = path.join(dir, name);
    if (statSync(entry).isDirectory()) files.push(...sourceFiles(entry));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) files.push(entry);
  }
  return files;
}

/** Every import under `root`'s src/, functions/ and lib/ that no arrow allows. */
export function forbiddenImports(root: string): ForbiddenImport[] {
  const found: ForbiddenImport[] = [];
  for (const top of ['src', 'functions', 'lib']) {
    const dir = path.join(root, top);
    if (!statSync(dir, { throwIfNoEntry: false })?.isDirectory()) continue;
    for (const file of sourceFiles(dir)) {
      const relative = path.relative(root, file);
      const from = layerOf(relative);
      if (from === null) continue;
      const text = readFileSync(file, 'utf8');
      for (const match of text.matchAll(IMPORT)) {
        const specifier = match[2] as string;
        const to = layerOf(path.relative(root, path.resolve(path.dirname(file), specifier)));
        if (to === null || to === from || ALLOWED[from].includes(to)) continue;
        const line = text.slice(0, match.index).split('\n').length;
        found.push({ file: relative, line, specifier, from, to });
      }
    }
  }
  return found;
}

/** One line per forbidden import, as a reader fixes them. */
export function describeForbidden(found: readonly ForbiddenImport[]): string[] {
  return found.map(
    (f) =>
      `${f.file}:${f.line}: ${f.from} may not import ${f.to} ('${f.specifier}'); allowed: ${ALLOWED[f.from].join(', ') || 'itself only'}`,
  );
}
