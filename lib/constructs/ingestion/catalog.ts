// CDK: the dataset declarations the ingestion functions carry, read and validated at synth time
// so that an invalid declaration fails `cdk synth`, not a scheduled run. Uses the same schema and
// parser as the functions (src/domain/dataset), which are pure and safe to run here.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDatasetDeclarationText } from '../../../src/adapters/local/dataset-files';
import type { DatasetDeclaration } from '../../../src/domain/dataset';

/** Every declaration in `dir` (absolute), by id, in file-name order. */
export function readDatasetCatalog(dir: string): DatasetDeclaration[] {
  return readdirSync(dir)
    .filter((entry) => /\.(ya?ml|json)$/.test(entry) && !entry.endsWith('.schema.json'))
    .sort()
    .map((entry) => parseDatasetDeclarationText(readFileSync(path.join(dir, entry), 'utf8'), path.join(dir, entry)));
}
