// Adapters: gzip through Node's zlib for the dataset reader. Unlike the web DecompressionStream it
// reads files made of several gzip members (`cat a.gz b.gz`, some log shippers) and is faster.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Gunzip } from '../domain/dataset';

/**
 * Gunzips a byte stream with zlib, in pieces of at most `chunkBytes`; source errors and corrupt data
 * surface as iteration errors.
 */
export async function* gunzipStream(
  compressed: AsyncIterable<Uint8Array>,
  chunkBytes = 256 * 1024,
): AsyncGenerator<Uint8Array> {
  const source = Readable.from(compressed, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: chunkBytes });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Uint8Array;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
}

/** The dataset reader's gunzip (see `gunzipStream`). */
export const nodeGunzip: Gunzip = (compressed) => gunzipStream(compressed);
