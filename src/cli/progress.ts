// CLI: a progress bar with an estimate of the time left, on standard error.

/** `[#########-----------]  9/20 chunks  45%  ETA 1m05s` */
export function progressLine(done: number, total: number, elapsedMs: number, unit = 'chunks'): string {
  const width = 24;
  const share = total === 0 ? 1 : done / total;
  const filled = Math.round(share * width);
  const eta = done === 0 ? '?' : duration(((total - done) * elapsedMs) / done);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(done).padStart(String(total).length)}/${total} ${unit}  ${String(Math.floor(share * 100)).padStart(3)}%  ETA ${eta}`;
}

export function duration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${String(seconds % 60).padStart(2, '0')}s` : `${seconds}s`;
}
