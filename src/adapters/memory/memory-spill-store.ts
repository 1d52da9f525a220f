// Adapters: scratch files in memory, for tests and small inputs.
import type { SpillFile, SpillStore } from '../../ports/spill-store';

export class MemorySpillStore implements SpillStore {
  /** Files created, for tests that look at what was spilled. */
  readonly files: MemorySpillFile[] = [];

  async create(): Promise<SpillFile> {
    const file = new MemorySpillFile();
    this.files.push(file);
    return file;
  }
}

export class MemorySpillFile implements SpillFile {
  private buffer = new Uint8Array(64 * 1024);
  size = 0;
  disposed = false;

  async append(bytes: Uint8Array): Promise<number> {
    const offset = this.size;
    if (offset + bytes.byteLength > this.buffer.byteLength) {
      const grown = new Uint8Array(Math.max(this.buffer.byteLength * 2, offset + bytes.byteLength));
      grown.set(this.buffer.subarray(0, offset));
      this.buffer = grown;
    }
    this.buffer.set(bytes, offset);
    this.size += bytes.byteLength;
    return offset;
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    if (offset + length > this.size) throw new Error(`${length} bytes at ${offset} asked, the file holds ${this.size}`);
    return this.buffer.slice(offset, offset + length);
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    this.buffer = new Uint8Array(0);
  }
}
