// Use case: what a new version of a dataset declaration would move, before it is published
// (`kpi dataset diff --impact`). Over the last days, the quarantined rows are read again under the
// proposal exactly as a replay would read them (nothing is written), and the records in raw are
// checked against the proposal's field rules: which rows would come back from quarantine, which
// records it would refuse, by reason and with examples, and which KPIs in force and which days they
// would change.
import { type CompiledDataset, type DatasetDeclaration, readDataset } from '../domain/dataset';
import { datasetsOfCalculation, type KpiDefinition } from '../domain/definition/schema';
import { daysBetween } from '../domain/ingest/commit-log';
import type { FieldValue, QuarantinedRow, TypedRecord } from '../domain/records';
import type { DefinitionStore } from '../ports/definition-store';
import type { RawPartitionSource } from '../ports/raw-partitions';
import type { IngestDependencies } from './ingest-batch';
import { partsOf, quarantineOfDay, type ReplayTally } from './replay-quarantine';

const DAY = 86_400_000;
const EXAMPLES = 3;

export interface ImpactExample {
  /** `file:line` of a quarantined row; the event time of a record in raw. */
  readonly where: string;
  readonly from: string;
  readonly to: string;
  /** The row's raw text, or the record, cut to 200 characters. */
  readonly row: string;
}

export interface DeclarationImpact {
  readonly dataset: string;
  readonly from: string;
  readonly to: string;
  /** Quarantined rows the proposal would accept, by the reason they were quarantined for. */
  readonly quarantinedToValid: Readonly<Record<string, number>>;
  /** Quarantined rows it would still refuse, by their new reason. */
  readonly stillQuarantined: Readonly<Record<string, number>>;
  /** Records in raw it would refuse, by reason (`field: code`). */
  readonly validToQuarantined: Readonly<Record<string, number>>;
  readonly recordsChecked: number;
  readonly quarantinedChecked: number;
  readonly examples: readonly ImpactExample[];
  /** KPIs in force that read the dataset, with the days (UTC, of event time) whose rows would move. */
  readonly kpis: readonly { readonly kpiId: string; readonly days: readonly string[] }[];
}

export interface ImpactRequest {
  readonly proposed: CompiledDataset;
  /** The declaration in force (what the records in raw were read with). */
  readonly current: DatasetDeclaration | undefined;
  readonly days: number;
  readonly now: number;
}

export interface ImpactDependencies extends Pick<IngestDependencies, 'log' | 'store' | 'gunzip'> {
  readonly raw: RawPartitionSource;
  readonly kpis: Pick<DefinitionStore<KpiDefinition>, 'list'>;
}

/** What the checks below find, as they find it. */
class ImpactTally {
  readonly quarantinedToValid: Record<string, number> = {};
  readonly stillQuarantined: Record<string, number> = {};
  readonly validToQuarantined: Record<string, number> = {};
  readonly examples: ImpactExample[] = [];
  /** Days (UTC, of event time) whose rows would move. */
  readonly movingDays = new Set<string>();
  quarantinedChecked = 0;
  recordsChecked = 0;

  bump(counts: Record<string, number>, code: string): void {
    counts[code] = (counts[code] ?? 0) + 1;
  }

  /** Keeps the first few examples of each move. */
  example(e: ImpactExample): void {
    if (this.examples.filter((x) => x.from === e.from && x.to === e.to).length < EXAMPLES) this.examples.push(e);
  }
}

export async function declarationImpact(request: ImpactRequest, deps: ImpactDependencies): Promise<DeclarationImpact> {
  const { proposed } = request;
  const to = Math.floor(request.now / DAY) * DAY + DAY;
  const from = to - request.days * DAY;
  const tally = new ImpactTally();
  for (const date of daysBetween(from, to)) await checkQuarantinedDay(proposed, date, deps, tally);
  await checkRawRecords(request, from, to, deps, tally);

  const days = [...tally.movingDays].sort();
  const kpis = (await deps.kpis.list('active'))
    .filter((kpi) => datasetsOfCalculation(kpi.definition.calculation).includes(proposed.id))
    .map((kpi) => ({ kpiId: kpi.id, days }))
    .sort((a, b) => (a.kpiId < b.kpiId ? -1 : 1));
  return {
    dataset: proposed.id,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    quarantinedToValid: tally.quarantinedToValid,
    stillQuarantined: tally.stillQuarantined,
    validToQuarantined: tally.validToQuarantined,
    recordsChecked: tally.recordsChecked,
    quarantinedChecked: tally.quarantinedChecked,
    examples: tally.examples,
    kpis: days.length === 0 ? [] : kpis,
  };
}

/** A day's quarantined rows, read again under the proposal as a replay would (nothing is written). */
async function checkQuarantinedDay(
  proposed: CompiledDataset,
  date: string,
  deps: ImpactDependencies,
  tally: ImpactTally,
): Promise<void> {
  const { objects } = await quarantineOfDay(proposed.id, date, deps);
  if (objects.length === 0) return;
  const replay: ReplayTally = { kept: [], replayed: {}, stillFailing: {} };
  const readTime = Math.max(...objects.map((o) => o.ingestedAt));
  for await (const part of partsOf(proposed, objects, deps, replay)) {
    const originals: QuarantinedRow[] = [];
    const read = readDataset(proposed, part.bytes, part.origin, {
      now: readTime,
      ...(part.format ? { format: part.format } : {}),
    });
    let passed = 0;
    for await (const batch of read) {
      passed += batch.records.length;
      for (const record of batch.records) tally.movingDays.add(dayOf(record[proposed.eventTimeField]));
      for (const row of batch.quarantined) {
        const relocated = part.relocate ? part.relocate(row) : row;
        originals.push(relocated);
        tally.bump(tally.stillQuarantined, relocated.code ?? 'unknown');
      }
    }
    tally.quarantinedChecked += read.summary().counts.read;
    if (passed === 0) continue;
    // The rows that passed are those of the group not among the failures: their previous reasons.
    const failedLines = new Set(originals.map((row) => `${row.file}:${row.line}`));
    for (const row of part.rows) {
      if (failedLines.has(`${row.file}:${row.line}`)) continue;
      tally.bump(tally.quarantinedToValid, row.code ?? 'unknown');
      tally.example({
        where: `${row.file}:${row.line}`,
        from: row.code ?? 'quarantined',
        to: 'valid',
        row: cut(row.raw),
      });
    }
  }
  for (const row of replay.kept) tally.bump(tally.stillQuarantined, row.code ?? 'unknown');
  tally.quarantinedChecked += replay.kept.length;
}

/** The records in raw, checked against the proposal's field rules. */
async function checkRawRecords(
  request: ImpactRequest,
  from: number,
  to: number,
  deps: ImpactDependencies,
  tally: ImpactTally,
): Promise<void> {
  const { proposed } = request;
  const fieldsBefore = new Set(Object.keys(request.current?.fields ?? {}));
  for (const partition of await deps.raw.list(proposed.id, from, to)) {
    for await (const batch of deps.raw.scan(partition))
      for (const record of batch) {
        tally.recordsChecked += 1;
        const refusal = refusalOf(record, proposed.declaration, fieldsBefore);
        if (!refusal) continue;
        const code = `${refusal.field}: ${refusal.code}`;
        tally.bump(tally.validToQuarantined, code);
        tally.movingDays.add(dayOf(record[proposed.eventTimeField]));
        tally.example({
          where: new Date(record[proposed.eventTimeField] as number).toISOString(),
          from: 'valid',
          to: code,
          row: cut(JSON.stringify(record)),
        });
      }
  }
}

function dayOf(value: FieldValue | undefined): string {
  return typeof value === 'number' ? new Date(value).toISOString().slice(0, 10) : 'unknown';
}

function cut(text: string): string {
  return text.length <= 200 ? text : `${text.slice(0, 200)}…`;
}

/**
 * Why the proposal would refuse a record read under the declaration in force, judging the typed
 * values by the proposal's field rules (required, enum, range, length, pattern, type); null when it
 * would accept it. A field the declaration in force did not read is not judged: its column was
 * never read, so no record says what it holds.
 */
export function refusalOf(
  record: TypedRecord,
  declaration: DatasetDeclaration,
  fieldsBefore: ReadonlySet<string>,
): { field: string; code: string } | null {
  for (const [name, field] of Object.entries(declaration.fields)) {
    if (!fieldsBefore.has(name)) continue;
    const value = record[name];
    if (value === null || value === undefined) {
      if (field.required && field.default === undefined) return { field: name, code: 'missing_required' };
      continue;
    }
    switch (field.type) {
      case 'string': {
        const text = String(value);
        if (field.enum && !field.enum.includes(text)) return { field: name, code: 'not_in_enum' };
        if (field.pattern && !new RegExp(`^(?:${field.pattern})$`).test(text))
          return { field: name, code: 'pattern_mismatch' };
        if (
          (field.minLength !== undefined && text.length < field.minLength) ||
          (field.maxLength !== undefined && text.length > field.maxLength)
        )
          return { field: name, code: 'invalid_length' };
        break;
      }
      case 'number':
      case 'integer': {
        const n = typeof value === 'number' ? value : Number(value);
        if (typeof value === 'boolean' || !Number.isFinite(n))
          return { field: name, code: field.type === 'integer' ? 'invalid_integer' : 'invalid_number' };
        if (field.type === 'integer' && !Number.isInteger(n)) return { field: name, code: 'invalid_integer' };
        if ((field.min !== undefined && n < field.min) || (field.max !== undefined && n > field.max))
          return { field: name, code: 'out_of_range' };
        break;
      }
      case 'boolean':
        if (typeof value !== 'boolean') return { field: name, code: 'invalid_boolean' };
        break;
      case 'timestamp': {
        if (typeof value !== 'number') return { field: name, code: 'invalid_timestamp' };
        if (
          (field.min !== undefined && value < Date.parse(field.min)) ||
          (field.max !== undefined && value > Date.parse(field.max))
        )
          return { field: name, code: 'out_of_range' };
        break;
      }
    }
  }
  return null;
}
