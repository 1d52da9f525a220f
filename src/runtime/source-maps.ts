// Runtime: source-mapped stack traces that cost nothing until one is printed. A bundled function
// ships `index.mjs.map` beside its code. Node's `--enable-source-maps` reads and parses that map when
// the module loads, at every cold start; here the stack of an error is mapped when it is first
// formatted (V8 formats `error.stack` lazily), and the map is read then, once per process.
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

/** Where the lazy source map of this process stands. */
let state: 'not-installed' | 'unread' | 'read' | 'unreadable' = 'not-installed';

/**
 * Maps the frames of `moduleUrl` (the running bundle) to their original files, lines, columns and
 * function names whenever an error's stack is formatted, when `<bundle>.map` exists. Without a map
 * beside the module (the sources run directly, under tsx or vitest) nothing is installed, so their
 * own source-map support stays in charge.
 *
 * @returns whether the hook was installed
 */
export function installLazySourceMaps(moduleUrl: string): boolean {
  if (state !== 'not-installed' || !moduleUrl.startsWith('file:')) return false;
  const modulePath = fileURLToPath(moduleUrl);
  const mapPath = `${modulePath}.map`;
  if (!existsSync(mapPath)) return false;
  state = 'unread';
  let sourceMap: SourceMap | undefined;
  const load = (): SourceMap | undefined => {
    if (state === 'unread') {
      try {
        sourceMap = new SourceMap(JSON.parse(readFileSync(mapPath, 'utf8')));
        state = 'read';
      } catch {
        state = 'unreadable';
      }
    }
    return sourceMap;
  };
  const previous = Error.prepareStackTrace;
  Error.prepareStackTrace = (error: Error, callSites: NodeJS.CallSite[]): string => {
    const bundled = (site: NodeJS.CallSite) => {
      const file = site.getFileName();
      return file === moduleUrl || file === modulePath;
    };
    const map = callSites.some(bundled) ? load() : undefined;
    if (!map) {
      return previous ? (previous(error, callSites) as string) : formatStack(error, callSites.map(String));
    }
    return formatStack(
      error,
      callSites.map((site, i) => (bundled(site) ? mapFrame(map, site, callSites[i + 1]) : String(site))),
    );
  };
  return true;
}

function formatStack(error: Error, frames: readonly string[]): string {
  let header: string;
  try {
    header = Error.prototype.toString.call(error);
  } catch {
    header = '<error>';
  }
  return [header, ...frames.map((frame) => `    at ${frame}`)].join('\n');
}

/** One frame of the bundle, as Node prints it with --enable-source-maps. */
function mapFrame(map: SourceMap, site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string {
  const line = site.getLineNumber();
  const column = site.getColumnNumber();
  if (line === null || column === null) return String(site);
  const origin = map.findOrigin(line, column);
  if (!('fileName' in origin)) return String(site);
  const location = `${originalFile(origin.fileName)}:${origin.lineNumber}:${origin.columnNumber}`;
  const name = originalName(map, site, caller);
  if (!name && !site.getFunctionName()) return `${asyncPrefix(site)}${location}`;
  // Type names are minified; the function's own name is enough to read the frame.
  const newPrefix = site.isConstructor() ? 'new ' : '';
  return `${asyncPrefix(site)}${newPrefix}${name ?? site.getFunctionName()} (${location})`;
}

function asyncPrefix(site: NodeJS.CallSite): string {
  return site.isAsync() ? 'async ' : '';
}

/**
 * The original name of the frame's function: the name the map gives the start of the enclosing
 * function, else the one it gives the call in the caller's frame that entered it (as Node does).
 */
function originalName(map: SourceMap, site: NodeJS.CallSite, caller: NodeJS.CallSite | undefined): string | undefined {
  const nameAt = (line: number | null, column: number | null): string | undefined => {
    if (!line || !column) return undefined;
    const entry = map.findEntry(line - 1, column - 1);
    return 'name' in entry ? (entry as { name?: string }).name || undefined : undefined;
  };
  const enclosing = nameAt(site.getEnclosingLineNumber(), site.getEnclosingColumnNumber());
  if (enclosing || !caller || caller.getFileName() !== site.getFileName()) return enclosing;
  return nameAt(caller.getLineNumber(), caller.getColumnNumber());
}

/** Sources are recorded relative to the bundling folder (`../../functions/compute.ts`): show them from the repository root. */
function originalFile(fileName: string): string {
  return fileName.replace(/^(?:\.\.\/)+/, '');
}
