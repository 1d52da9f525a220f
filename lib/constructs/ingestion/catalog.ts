// CDK: the dataset declarations the ingestion functions carry, read and validated at synth time
// so that an invalid declaration fails `cdk synth`, not a scheduled run. Uses the same schema and
// parser as the functions (src/domain/dataset), which are pure and safe to run here.

import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';
import type { DatasetDeclaration } from '../../../src/contracts/dataset-declaration-files';
import { parseDatasetDeclarationText } from '../../../src/contracts/dataset-declaration-files';

function declarationFiles(dir: string): string[] {
  return readdirSync(dir)
    .filter((entry) => /\.(ya?ml|json)$/.test(entry) && !entry.endsWith('.schema.json'))
    .sort();
}

/** Every declaration in `dir` (absolute), by id, in file-name order. */
export function readDatasetCatalog(dir: string): DatasetDeclaration[] {
  return declarationFiles(dir).map((entry) =>
    parseDatasetDeclarationText(readFileSync(path.join(dir, entry), 'utf8'), path.join(dir, entry)),
  );
}

/**
 * The declarations of `dir` (absolute) as JSON files of the same content, keyed by their path under
 * `folder` (`kpis/datasets/leads.json`). Functions carry these: they read JSON with `JSON.parse` and
 * never load a YAML parser (~110 KB of bundle). Throws, naming the file, when a document holds a
 * value JSON cannot carry unchanged.
 */
export function declarationsAsJson(dir: string, folder: string): Record<string, string> {
  const files: Record<string, string> = {};
  for (const entry of declarationFiles(dir)) {
    const file = path.join(dir, entry);
    const text = readFileSync(file, 'utf8');
    const document: unknown = entry.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
    const json = JSON.stringify(document, null, 2);
    if (!isDeepStrictEqual(JSON.parse(json), document)) {
      throw new Error(`${file}: holds a value JSON cannot represent (a date, an infinite number, ...)`);
    }
    const target = path.posix.join(folder, `${entry.replace(/\.(ya?ml|json)$/, '')}.json`);
    if (target in files) throw new Error(`${file}: another declaration of ${folder} has the same name`);
    files[target] = `${json}\n`;
  }
  return files;
}
