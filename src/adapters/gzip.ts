// Adapters: gzip through Node's zlib for the dataset reader. Unlike the web DecompressionStream it
// reads files made of several gzip members (`cat a.gz b.gz`, some log shippers) and is faster.
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import type { Gunzip } from '../domain/dataset';

/** Gunzips a byte stream with zlib; source errors and corrupt data surface as iteration errors. */
export const nodeGunzip: Gunzip = async function* (compressed) {
  const source = Readable.from(compressed, { objectMode: false });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  source.on('error', (error) => gunzip.destroy(error));
  source.pipe(gunzip);
  try {
    for await (const chunk of gunzip) yield chunk as Uint8Array;
  } finally {
    source.destroy();
    gunzip.destroy();
  }
};
