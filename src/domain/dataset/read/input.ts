// Domain: the bytes under the streaming reader. Recognises gzip and ZIP by their signatures (on
// the first bytes, however thinly the input is chunked), gunzips, and refuses encodings it cannot
// read (UTF-16, binary) from the first 4 KiB of the decompressed bytes.
import type { DatasetFormat } from '../declaration';
import { UnreadableInputError } from '../errors';
import type { FailRead } from './sink';

/** Turns gzip bytes into the bytes they compress; errors for corrupt or truncated input. */
export type Gunzip = (compressed: AsyncIterable<Uint8Array>) => AsyncIterable<Uint8Array>;

/** Gunzip with the web-standard DecompressionStream (one gzip member). */
export const webGunzip: Gunzip = async function* (compressed) {
  const stream = new DecompressionStream('gzip');
  const writer = stream.writable.getWriter();
  const pump = (async () => {
    try {
      for await (const chunk of compressed) await writer.write(chunk);
      await writer.close();
    } catch (error) {
      await writer.abort(error).catch(() => undefined);
    }
  })();
  const reader = stream.readable.getReader();
  try {
    for (;;) {
      const next = await reader.read();
      if (next.done) break;
      yield next.value;
    }
  } finally {
    // When the consumer stops early, cancelling unblocks the pump's pending write.
    await reader.cancel().catch(() => undefined);
    await pump;
  }
};

/** Bytes needed to tell gzip and ZIP by their signatures. */
const SIGNATURE_BYTES = 4;
/** Bytes looked at for a UTF-16 byte order mark or binary content. */
export const ENCODING_SAMPLE_BYTES = 4096;

/** How far a read got in bytes, kept up to date while it goes. */
export interface ByteProgress {
  /** As received (compressed, if the input was). */
  bytesRead: number;
  compressed: boolean;
}

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  if (chunks.length === 1) return chunks[0] as Uint8Array;
  const out = new Uint8Array(chunks.reduce((sum, c) => sum + c.byteLength, 0));
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}

/**
 * The first `want` bytes of `iterator` (fewer if it ends sooner) joined, counted in `progress`.
 * @returns the head, and whether the input ended within it
 */
async function readHead(
  iterator: AsyncIterator<Uint8Array>,
  want: number,
  progress: ByteProgress,
): Promise<{ head: Uint8Array; done: boolean }> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  while (size < want) {
    const next = await iterator.next();
    if (next.done) return { head: concat(chunks), done: true };
    progress.bytesRead += next.value.byteLength;
    if (next.value.byteLength === 0) continue;
    chunks.push(next.value);
    size += next.value.byteLength;
  }
  return { head: concat(chunks), done: false };
}

/** Bytes of the input, gunzipped when they are gzip and the declaration allows it. */
export async function* decompressed(
  input: AsyncIterable<Uint8Array>,
  format: DatasetFormat,
  progress: ByteProgress,
  gunzip: Gunzip,
  fail: FailRead,
): AsyncGenerator<Uint8Array> {
  const iterator = input[Symbol.asyncIterator]();
  const { head, done: ended } = await readHead(iterator, SIGNATURE_BYTES, progress);
  if (head.byteLength === 0) fail('empty_file', 'the file is empty (0 bytes): was the export interrupted?');
  const gzip = head[0] === 0x1f && (head.length < 2 || head[1] === 0x8b);
  if (format.compression === 'gzip' && !gzip) {
    fail('unreadable_compression', 'the declaration says gzip, but the file does not start with the gzip signature');
  }
  if (format.compression !== 'none' && head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    fail('unsupported_compression', 'the file is a ZIP archive; unzip it and drop the files it holds');
  }
  // An error of the source itself (a dropped connection) is not a corrupt file: it is rethrown as is.
  let sourceError: { error: unknown } | undefined;
  const rest = (async function* () {
    let done = ended;
    try {
      yield head;
      while (!done) {
        const next = await iterator.next().catch((error: unknown) => {
          sourceError = { error };
          throw error;
        });
        if (next.done) {
          done = true;
          return;
        }
        progress.bytesRead += next.value.byteLength;
        yield next.value;
      }
    } finally {
      // Stopped early (an unreadable or too large file): let the source close its stream or socket.
      if (!done) await iterator.return?.();
    }
  })();
  if (!gzip || format.compression === 'none') {
    yield* rest;
    return;
  }
  progress.compressed = true;
  try {
    yield* gunzip(rest);
  } catch (error) {
    if (error instanceof UnreadableInputError) throw error;
    if (sourceError) throw sourceError.error;
    fail('unreadable_compression', `the gzip data is corrupt or cut off (${(error as Error).message})`, error);
  }
}

/** Refuses text the reader cannot decode: UTF-16 (with or without its byte order mark), binary. */
export function checkEncoding(head: Uint8Array, format: DatasetFormat, fail: FailRead): void {
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    fail('unsupported_encoding', `the file is UTF-16 (it starts with a UTF-16 byte order mark); export it as UTF-8`);
  }
  if (format.encoding === 'utf-8') {
    const sample = Math.min(head.length, ENCODING_SAMPLE_BYTES);
    let zeros = 0;
    for (let i = 0; i < sample; i++) if (head[i] === 0) zeros += 1;
    if (sample > 0 && zeros * 8 > sample) {
      fail(
        'unsupported_encoding',
        'the file has many NUL bytes: it is binary, or UTF-16 without a byte order mark; export it as UTF-8 text',
      );
    }
  }
}

export { concat as concatBytes };
