// Datasets suite support: computing a fixture's KPIs over the public files through the real path
// (declarations → streaming reader → engine), and a small CSV parser for the references (a different
// route to the same numbers).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadDatasetCatalog } from '../../src/adapters/local/dataset-files';
import { fileRecordSource } from '../../src/adapters/local/dataset-record-source';
import { readDefinitionFiles } from '../../src/contracts/kpi-definition-files';
import { compileKpi } from '../../src/domain/engine/kpi';
import type { KpiValue } from '../../src/domain/engine/value';
import { computeKpiValues } from '../../src/usecases/compute-kpi-values';

const fixtures = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Computes every KPI of `fixtures/<name>/kpis` with the given file(s) per dataset. */
export async function computeFixture(name: string, inputs: Record<string, string | readonly string[]>) {
  const { definitions, errors } = readDefinitionFiles([path.join(fixtures, name, 'kpis')]);
  if (errors.length > 0) throw errors[0];
  const catalog = await loadDatasetCatalog(path.join(fixtures, name, 'datasets'));
  const { results, reads } = await computeKpiValues({
    kpis: definitions.map(({ definition }) => compileKpi(definition)),
    source: fileRecordSource(catalog, new Map(Object.entries(inputs).map(([id, file]) => [id, [file].flat()]))),
    asOf: Date.parse('2030-01-01T00:00:00Z'),
  });
  const values = (kpiId: string): KpiValue[] => {
    const found = results.find((r) => r.kpi.definition.id === kpiId);
    if (!found) throw new Error(`no KPI ${kpiId}`);
    return found.computation.values;
  };
  return { values, reads, results };
}

/** Rows of a CSV file with a header, as objects of text; RFC 4180 quotes handled. */
export function readCsv(file: string): Record<string, string>[] {
  const text = readFileSync(file, 'utf8').replace(/\r\n/g, '\n');
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (quoted) {
      if (char === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (char === '"') quoted = false;
      else cell += char;
    } else if (char === '"') quoted = true;
    else if (char === ',') {
      row.push(cell);
      cell = '';
    } else if (char === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
    } else cell += char;
  }
  if (cell !== '' || row.length > 0) rows.push([...row, cell]);
  const [header, ...body] = rows;
  return body.map((cells) => Object.fromEntries((header ?? []).map((name, i) => [name, cells[i] ?? ''])));
}

/** Nearest-rank percentile by sorting (the engine selects instead). */
export function nearestRankBySort(values: readonly number[], percentile: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil((percentile * sorted.length) / 100) - 1] as number;
}

/** `YYYY-MM` of an epoch-ms instant, UTC. */
export function monthOf(time: number): string {
  return new Date(time).toISOString().slice(0, 7);
}
