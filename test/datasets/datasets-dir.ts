// The public datasets folder for this suite: KPI_DATASETS_DIR, or ../shared/datasets beside the
// checkout. The suite fails, loudly, when it is missing: it never passes by skipping.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../lib/repo-root';

export function datasetsDir(): string {
  const dir = path.resolve(repoRoot, process.env.KPI_DATASETS_DIR ?? '../shared/datasets');
  if (!existsSync(dir)) {
    throw new Error(`public datasets not found at ${dir}: set KPI_DATASETS_DIR to the folder holding them`);
  }
  return dir;
}
