// Adapters: scratch files for ingestion runs in a directory of the local disk (Lambda's /tmp). Each
// run's files live in a directory of their own; directories older than an hour are leftovers of a
// run that died (a Lambda sandbox is reused) and are removed when the next store starts.
import { randomUUID } from 'node:crypto';
import { type FileHandle, mkdir, open, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SpillFile, SpillStore } from '../../ports/spill-store';

const PREFIX = 'kpi-ingest-spill-';
const STALE_MILLIS = 60 * 60_000;

export class LocalSpillStore implements SpillStore {
  private readonly dir: string;
  private swept = false;

  /** @param root where run directories go. @default the OS temporary directory */
  constructor(private readonly root: string = tmpdir()) {
    this.dir = path.join(root, `${PREFIX}${randomUUID()}`);
  }

  async create(): Promise<SpillFile> {
    if (!this.swept) {
      this.swept = true;
      await removeStale(this.root);
    }
    await mkdir(this.dir, { recursive: true });
    const file = path.join(this.dir, `${randomUUID()}.run`);
    return new LocalSpillFile(file, await open(file, 'w+'));
  }
}

class LocalSpillFile implements SpillFile {
  size = 0;
  private disposed = false;

  constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
  ) {}

  async append(bytes: Uint8Array): Promise<number> {
    const offset = this.size;
    this.size += bytes.byteLength;
    let written = 0;
    while (written < bytes.byteLength) {
      const { bytesWritten } = await this.handle.write(bytes, written, bytes.byteLength - written, offset + written);
      written += bytesWritten;
    }
    return offset;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    const buffer = Buffer.allocUnsafe(length);
    let read = 0;
    while (read < length) {
      const { bytesRead } = await this.handle.read(buffer, read, length - read, offset + read);
      if (bytesRead === 0) throw new Error(`${this.file}: ${length} bytes at ${offset} asked, the file ends first`);
      read += bytesRead;
    }
    return buffer;
  }

  async dispose(): Promise<void> {
    if (this.disposed) return;
    this.disposed = true;
    await this.handle.close().catch(() => undefined);
    await rm(this.file, { force: true });
  }
}

async function removeStale(root: string): Promise<void> {
  const names = await readdir(root).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.startsWith(PREFIX))
      .map(async (name) => {
        const dir = path.join(root, name);
        const info = await stat(dir).catch(() => null);
        if (info && Date.now() - info.mtimeMs > STALE_MILLIS) await rm(dir, { recursive: true, force: true });
      }),
  );
}
