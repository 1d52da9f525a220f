// Adapters (local files): dataset declarations read from a folder, and their data files read
// through the streaming dataset reader. Used by the `kpi` CLI and by the Lambda functions, which
// carry the declarations folder in their bundle.

import { glob, open, readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseDatasetDeclarationText } from '../../contracts/dataset-declaration-files';
import {
  type CompiledDataset,
  captureFromPath,
  compileDataset,
  type DatasetDeclaration,
  DatasetDeclarationError,
  type FilePathValues,
  type FilePattern,
  FilePatternError,
  parseFilePattern,
  type ReadOptions,
  type ReadSummary,
  type RecordBatch,
  readDataset,
  UnreadableInputError,
} from '../../domain/dataset';
import { ValidationError } from '../../domain/errors';
import { nodeGunzip } from '../gzip';

/** A declaration file, validated and compiled. */
export interface LoadedDataset {
  readonly declaration: DatasetDeclaration;
  readonly dataset: CompiledDataset;
  /** Absolute path of the declaration file; `files` globs are relative to its folder. */
  readonly path: string;
}

/** Extensions of declaration files in a datasets folder. */
const DECLARATION_EXTENSIONS = ['.yaml', '.yml', '.json'];

/** Reads, validates and compiles one declaration file. */
export async function loadDatasetFile(file: string): Promise<LoadedDataset> {
  const absolute = path.resolve(file);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new ValidationError(`cannot read the dataset declaration: ${(error as Error).message}`, {
      cause: error,
      location: file,
    });
  }
  const declaration = parseDatasetDeclarationText(text, file);
  return { declaration, dataset: compileDataset(declaration), path: absolute };
}

/**
 * Every declaration in a folder (one dataset per `.yaml`, `.yml` or `.json` file; JSON Schema files
 * are skipped), by dataset id.
 * @throws DatasetDeclarationError for the first invalid file, or when two files declare one id
 */
export async function loadDatasetCatalog(dir: string): Promise<Map<string, LoadedDataset>> {
  let entries: string[];
  try {
    entries = (await readdir(dir)).sort();
  } catch (error) {
    throw new ValidationError(`cannot read the datasets folder: ${(error as Error).message}`, {
      cause: error,
      location: dir,
    });
  }
  const catalog = new Map<string, LoadedDataset>();
  for (const entry of entries) {
    if (!DECLARATION_EXTENSIONS.includes(path.extname(entry)) || entry.endsWith('.schema.json')) continue;
    const loaded = await loadDatasetFile(path.join(dir, entry));
    const previous = catalog.get(loaded.declaration.id);
    if (previous) {
      throw new DatasetDeclarationError(path.join(dir, entry), [
        `id: "${loaded.declaration.id}" is already declared in ${path.basename(previous.path)}`,
      ]);
    }
    catalog.set(loaded.declaration.id, loaded);
  }
  return catalog;
}

/**
 * The files to read for a dataset: `overrides` (paths or globs, relative to the working folder)
 * when given, else the declaration's `files` relative to the declaration. Sorted, without duplicates.
 * @throws ValidationError when a pattern matches no file
 */
export async function resolveDatasetFiles(loaded: LoadedDataset, overrides?: readonly string[]): Promise<string[]> {
  // `{field}` captures match like `*` when looking for files.
  const patterns = filePatternsFor(loaded, overrides).map((pattern) => pattern.glob);
  if (patterns.length === 0) {
    throw new ValidationError(
      `dataset "${loaded.declaration.id}" names no files: add "files" to its declaration or pass --input ${loaded.declaration.id}=PATH`,
      { location: loaded.path },
    );
  }
  const files = new Set<string>();
  for (const pattern of patterns) {
    const before = files.size;
    if (/[*?[]/.test(pattern)) {
      for await (const match of glob(pattern)) {
        if ((await stat(match)).isFile()) files.add(path.resolve(match));
      }
    } else if ((await stat(pattern).catch(() => undefined))?.isFile()) {
      files.add(pattern);
    }
    if (files.size === before) {
      throw new ValidationError(`no file matches ${pattern} (dataset "${loaded.declaration.id}")`, {
        location: loaded.path,
      });
    }
  }
  return [...files].sort();
}

/**
 * The patterns files are looked for with, as absolute paths: `overrides` (relative to the working
 * folder) when given, else the declaration's `files` (relative to the declaration).
 */
function filePatternsFor(loaded: LoadedDataset, overrides?: readonly string[]): FilePattern[] {
  const patterns = overrides?.length
    ? overrides.map((p) => path.resolve(p))
    : ([] as string[]).concat(loaded.declaration.files ?? []).map((p) => path.resolve(path.dirname(loaded.path), p));
  return patterns.map((text) => {
    let pattern: FilePattern;
    try {
      pattern = parseFilePattern(text);
    } catch (error) {
      if (!(error instanceof FilePatternError)) throw error;
      throw new ValidationError(error.message, { location: loaded.path });
    }
    const unknown = pattern.captures.filter((name) => !loaded.dataset.capturedFields.includes(name));
    if (unknown.length > 0) {
      throw new ValidationError(
        `${text} captures ${unknown.map((name) => `{${name}}`).join(', ')}, which the files of dataset "${loaded.declaration.id}" do not capture: capture a field in the declaration's files first`,
        { location: loaded.path },
      );
    }
    return pattern;
  });
}

/**
 * What a file's path gives the fields its dataset's `files` capture (`{field}`): the values of the
 * first pattern whose folder holds the file and whose rest its path below that folder matches.
 * @param overrides the patterns the file was found with instead of the declaration's (`--input`)
 */
export function filePathValues(loaded: LoadedDataset, file: string, overrides?: readonly string[]): FilePathValues {
  for (const pattern of filePatternsFor(loaded, overrides)) {
    const below = path.relative(pattern.base, file);
    if (below.startsWith('..') || path.isAbsolute(below)) continue;
    const values = captureFromPath(pattern, below.split(path.sep).join('/'));
    if (values) return { path: file, values };
  }
  return { path: file, values: {} };
}

/**
 * The key a local file gets below `landing/<dataset>/` when it is dropped in the landing zone: its
 * path below the folder of the pattern that found it when the dataset captures fields from the
 * path (so the drop zone reads the same values from the key), else its name.
 */
export function landingNameOf(loaded: LoadedDataset, file: string): string {
  if (loaded.dataset.capturedFields.length === 0) return path.basename(file);
  for (const pattern of filePatternsFor(loaded)) {
    const below = path.relative(pattern.base, file);
    if (below.startsWith('..') || path.isAbsolute(below)) continue;
    const key = below.split(path.sep).join('/');
    if (captureFromPath(pattern, key)) return key;
  }
  return path.basename(file);
}

/** A batch of records, tagged with the file it came from. */
export interface FileBatch extends RecordBatch {
  readonly file: string;
}

/** What was read from one file. */
export interface FileReadSummary extends ReadSummary {
  readonly file: string;
}

/** A read over several files: iterate for batches, then ask for the summaries. */
export interface DatasetFilesRead extends AsyncIterable<FileBatch> {
  /** One entry per file read so far, in order. */
  summaries(): FileReadSummary[];
}

export interface ReadDatasetFilesOptions extends ReadOptions {
  /**
   * Bytes per read from disk. Records of the NDJSON fast path come as columns, not objects, so a
   * larger block costs no garbage collection, and each read (a promise, a thread-pool task) counts
   * less. @default 1048576
   */
  readonly chunkBytes?: number;
  /** The patterns the files were found with, when not the declaration's (`--input`): their `{field}`s capture. */
  readonly patterns?: readonly string[];
}

/**
 * The bytes of a file, `chunkBytes` at a time. Plain reads on a file handle cost less than a read
 * stream (no stream machinery per chunk). With `reuse`, the chunks after the first are read into
 * one buffer, unless the file starts like gzip: the reader is done with a chunk of plain input
 * (it copies what it keeps) before it asks for the next, whereas zlib may still hold the previous
 * one while it gunzips. A fresh buffer per read is external memory that makes V8 collect garbage
 * over and over on a heap of a few megabytes.
 */
async function* fileChunks(file: string, chunkBytes: number, reuse: boolean): AsyncGenerator<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    let shared: Uint8Array | null = null;
    for (let first = true; ; first = false) {
      const buffer = shared ?? new Uint8Array(chunkBytes);
      const { bytesRead } = await handle.read(buffer, 0, chunkBytes, null);
      if (bytesRead === 0) return;
      if (first && reuse && buffer[0] !== 0x1f) shared = new Uint8Array(chunkBytes);
      yield bytesRead === chunkBytes ? buffer : buffer.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}

/**
 * Reads a dataset's files one after another through the streaming reader. A file that cannot be
 * read at all stops the read with `UnreadableInputError` naming the file: a local computation
 * should not go on without part of its input.
 *
 * @example
 * const loaded = await loadDatasetFile('datasets/leads.yaml');
 * const read = readDatasetFiles(loaded, await resolveDatasetFiles(loaded));
 * for await (const batch of read) engine.add(batch.records);
 * for (const s of read.summaries()) console.error(s.file, s.counts);
 */
export function readDatasetFiles(
  loaded: LoadedDataset,
  files: readonly string[],
  options: ReadDatasetFilesOptions = {},
): DatasetFilesRead {
  const summaries: FileReadSummary[] = [];
  async function* batches(): AsyncGenerator<FileBatch> {
    for (const file of files) {
      const origin = { source: `file://${path.dirname(file)}`, file };
      const dataset =
        loaded.dataset.capturedFields.length === 0
          ? loaded.dataset
          : loaded.dataset.forFile(filePathValues(loaded, file, options.patterns));
      // A callback that sees the chunks may keep them: each then gets its own buffer.
      const chunks = fileChunks(file, options.chunkBytes ?? 1024 * 1024, options.onDecompressed === undefined);
      const read = readDataset(dataset, chunks, origin, {
        gunzip: nodeGunzip,
        ...options,
      });
      try {
        for await (const batch of read) {
          // Spreading a batch of columns would make its records; they are made only if asked for.
          yield batch.columns
            ? batch.columns.recordBatch({ quarantined: batch.quarantined, file })
            : { ...batch, file };
        }
      } catch (error) {
        if (error instanceof UnreadableInputError) {
          throw new UnreadableInputError(error.code, error.reason, error.counts, {
            cause: error,
            location: `${file} (dataset "${loaded.declaration.id}")`,
          });
        }
        throw error;
      }
      summaries.push({ ...read.summary(), file });
    }
  }
  return { [Symbol.asyncIterator]: () => batches(), summaries: () => [...summaries] };
}
