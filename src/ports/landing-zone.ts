// Port: the drop zone, where files for dataset `x` are put under `landing/x/`.
import type { ObjectRef } from './object-store';

/** A file waiting in the drop zone. */
export interface LandingObject {
  readonly key: string;
  /** Identifies the content: the same file dropped again has the same ETag. */
  readonly etag: string;
  readonly size: number;
  /** When it was uploaded, epoch ms: the same bytes uploaded again are a new drop. */
  readonly lastModified: number;
}

export interface LandingZone {
  readonly bucket: string;
  /** Files under a prefix, in key order (folder markers excluded). */
  list(prefix: string): AsyncIterable<LandingObject>;
  /** The file's bytes, streamed; fails if it changed since it was listed. */
  open(object: LandingObject): AsyncIterable<Uint8Array>;
  /** Copies the file as it is into the quarantine (a file that cannot be read). */
  copyTo(object: LandingObject, target: ObjectRef): Promise<void>;
}
