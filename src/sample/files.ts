// Sample data: writing a sample as the files a source system would export (NDJSON with ISO-8601
// timestamps, CSV for the CRM), matching the declarations in kpis/datasets.

import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { TypedRecord } from '../domain/records';
import type { SampleData, SampleDatasetId } from './generate';

interface FileLayout {
  readonly file: string;
  readonly timestamps: readonly string[];
  /** CSV columns, in order; absent for NDJSON. */
  readonly columns?: readonly string[];
}

/** How each sample dataset is written. */
export const SAMPLE_FILES: Readonly<Record<SampleDatasetId, FileLayout>> = {
  agent_events: { file: 'agent_events.ndjson', timestamps: ['ts'] },
  ad_performance: { file: 'ad_performance.ndjson', timestamps: ['ts'] },
  crm_leads: {
    file: 'crm_leads.csv',
    timestamps: ['created_at'],
    columns: ['lead_id', 'created_at', 'campaign_id', 'channel', 'country'],
  },
  crm_opportunities: {
    file: 'crm_opportunities.csv',
    timestamps: ['created_at', 'closed_at'],
    columns: ['opportunity_id', 'lead_id', 'campaign_id', 'created_at', 'stage', 'closed_at', 'amount'],
  },
  web_sessions: { file: 'web_sessions.ndjson', timestamps: ['started_at'] },
  content_events: { file: 'content_events.ndjson', timestamps: ['requested_at', 'delivered_at'] },
  // The pipeline writes its own records with epoch-millisecond timestamps.
  pipeline_ingest: { file: 'pipeline_ingest.ndjson', timestamps: [] },
  pipeline_governance: { file: 'pipeline_governance.ndjson', timestamps: [] },
};

/** The default folder of the sample files, relative to the repository root (kpis/datasets points there). */
export const SAMPLE_DATA_DIR = '.local/sample-data';

function withIsoTimes(record: TypedRecord, timestamps: readonly string[]): Record<string, unknown> {
  const copy: Record<string, unknown> = { ...record };
  for (const field of timestamps) {
    const value = record[field];
    if (typeof value === 'number') copy[field] = new Date(value).toISOString();
  }
  return copy;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** One record as a line of its file (NDJSON or CSV), with the newline. */
export function formatRecord(record: TypedRecord, layout: FileLayout): string {
  const row = withIsoTimes(record, layout.timestamps);
  if (layout.columns === undefined) return `${JSON.stringify(row)}\n`;
  return `${layout.columns.map((column) => csvCell(row[column])).join(',')}\n`;
}

/** Writes `records` to `file` line by line, respecting back-pressure. */
export async function writeLines(file: string, header: string | null, lines: Iterable<string>): Promise<number> {
  const stream = createWriteStream(file);
  let bytes = 0;
  let buffer = header ?? '';
  for (const line of lines) {
    buffer += line;
    if (buffer.length >= 1 << 16) {
      bytes += buffer.length;
      if (!stream.write(buffer)) await once(stream, 'drain');
      buffer = '';
    }
  }
  bytes += buffer.length;
  stream.end(buffer);
  await once(stream, 'finish');
  return bytes;
}

/** Writes every dataset of a sample into `dir`; returns the files written with their record counts. */
export async function writeSampleFiles(
  dir: string,
  data: SampleData,
): Promise<{ dataset: SampleDatasetId; file: string; records: number }[]> {
  await mkdir(dir, { recursive: true });
  const written: { dataset: SampleDatasetId; file: string; records: number }[] = [];
  for (const dataset of Object.keys(SAMPLE_FILES) as SampleDatasetId[]) {
    const layout = SAMPLE_FILES[dataset];
    const file = path.join(dir, layout.file);
    const header = layout.columns ? `${layout.columns.join(',')}\n` : null;
    await writeLines(
      file,
      header,
      (function* () {
        for (const record of data[dataset]) yield formatRecord(record, layout);
      })(),
    );
    written.push({ dataset, file, records: data[dataset].length });
  }
  return written;
}

/** How many rows of each kind the flawed export holds. */
export const FLAWED_ROWS = {
  valid: 60,
  invalidTimestamp: 60,
  unknownVariant: 60,
  missingBounced: 30,
  truncatedJson: 30,
} as const;

/**
 * A second web-sessions export after a tracking change upstream: some rows are fine, others carry
 * an impossible timestamp, a variant spelled the new way, no `bounced` flag, or were cut off
 * mid-line. Ingestion keeps the good rows and quarantines each bad one with its reason. The rows
 * are new sessions (ids `tracking-v2-…`) taken from the last day of the sample; deterministic.
 */
export async function writeFlawedSample(
  dir: string,
  data: SampleData,
  options: { seed: number },
): Promise<{ dataset: 'web_sessions'; file: string; records: number }> {
  await mkdir(dir, { recursive: true });
  const layout = SAMPLE_FILES.web_sessions;
  const total = Object.values(FLAWED_ROWS).reduce((n, k) => n + k, 0);
  const recent = data.web_sessions.slice(-total);
  const lines: string[] = [];
  let i = 0;
  const next = (kind: string) => {
    const source = recent[i % Math.max(1, recent.length)] ?? {};
    i += 1;
    return { ...source, session_id: `tracking-v2-${options.seed}-${kind}-${i}` };
  };
  for (let n = 0; n < FLAWED_ROWS.valid; n += 1) lines.push(formatRecord(next('ok'), layout));
  for (let n = 0; n < FLAWED_ROWS.invalidTimestamp; n += 1) {
    lines.push(
      `${JSON.stringify({ ...withIsoTimes(next('ts'), layout.timestamps), started_at: '2026-13-45T25:61:00Z' })}\n`,
    );
  }
  for (let n = 0; n < FLAWED_ROWS.unknownVariant; n += 1) {
    lines.push(`${JSON.stringify({ ...withIsoTimes(next('variant'), layout.timestamps), variant: 'personalised' })}\n`);
  }
  for (let n = 0; n < FLAWED_ROWS.missingBounced; n += 1) {
    const { bounced: _, ...row } = withIsoTimes(next('bounced'), layout.timestamps);
    lines.push(`${JSON.stringify(row)}\n`);
  }
  for (let n = 0; n < FLAWED_ROWS.truncatedJson; n += 1) {
    const line = JSON.stringify(withIsoTimes(next('cut'), layout.timestamps));
    lines.push(`${line.slice(0, Math.floor(line.length / 2))}\n`);
  }
  const file = path.join(dir, 'web_sessions-tracking-v2.ndjson');
  await writeLines(file, null, lines);
  return { dataset: 'web_sessions', file, records: total };
}
