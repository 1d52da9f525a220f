// CLI: `kpi diff` compares two versions of a KPI, or the active one with a file, field by field;
// with --impact it recomputes recent periods under both and shows values and statuses side by side.
import path from 'node:path';
import { DynamoDbRawCommitLog } from '../../adapters/aws/dynamodb-raw-commit-log';
import { storedDefinition } from '../../adapters/aws/kpi-definitions';
import { S3RawPartitions } from '../../adapters/aws/s3-raw-partitions';
import { MemoryKpiValueStore, MemoryPartialCache } from '../../adapters/memory/memory-stores';
import { readDefinitionFile } from '../../contracts/kpi-definition-files';
import type { KpiDefinition } from '../../domain/definition/schema';
import { ALL_TIME_END, ALL_TIME_START, isoTime, periodStart, shiftPeriod } from '../../domain/engine/time';
import { evaluationImpact } from '../../domain/evaluation/impact';
import { roundForUnit } from '../../domain/values/precision';
import { contentHash } from '../../domain/versioning/content-hash';
import { describeChanges, diffDefinitions } from '../../domain/versioning/semantic-diff';
import type { DefinitionState } from '../../ports/definition-store';
import { computeKpi } from '../../usecases/compute-kpi';
import { type CliCommand, type CliContext, UsageError } from '../command';
import { warnEmptyInputs, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE, type Deployment } from '../deployment';
import { parseOptions } from '../options';

/** The command's options, checked, and the proposed definition when a file is given. */
function diffOptions(context: CliContext) {
  const { values, positionals } = parseOptions(
    context.args,
    {
      ...DEPLOYMENT_OPTIONS,
      from: { type: 'string' },
      to: { type: 'string' },
      impact: { type: 'boolean', default: false },
      periods: { type: 'string', default: '7' },
      format: { type: 'string', default: 'table' },
    },
    true,
  );
  const [id, file] = positionals;
  if (!id || positionals.length > 2) throw new UsageError('give a KPI id, and optionally a definition file');
  const periods = Number(values.periods);
  if (!Number.isInteger(periods) || periods < 1 || periods > 400) throw new UsageError('--periods is 1 to 400');
  if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
  const proposedFromFile = file
    ? storedDefinition(readDefinitionFile(path.resolve(context.cwd, file)).definition)
    : null;
  if (proposedFromFile && proposedFromFile.id !== id) {
    throw new UsageError(`${file} defines ${proposedFromFile.id}, not ${id}`);
  }
  return { values, id, file, periods, proposedFromFile };
}

/** One side of the comparison: a stored version, the active one, or the file given. */
interface ComparedVersion {
  readonly label: string;
  readonly version: number;
  readonly definition: KpiDefinition | null;
}

type DefinitionDiff = ReturnType<typeof diffDefinitions>;

/**
 * The last `periods` complete periods under both versions (all_time has only its one, never
 * complete): recomputed when the calculation changed, re-evaluated from the stored values otherwise.
 */
async function impactRows(
  deployment: Deployment,
  state: Awaited<ReturnType<Deployment['definitions']['get']>>,
  before: KpiDefinition,
  after: KpiDefinition,
  diff: DefinitionDiff,
  periods: number,
  context: CliContext,
): Promise<ImpactRow[]> {
  const grain = after.grain;
  const end = grain === 'all_time' ? ALL_TIME_END : periodStart(grain, context.now());
  const from = grain === 'all_time' ? ALL_TIME_START : shiftPeriod(grain, end, -periods);
  await warnEmptyInputs(deployment, after, from, end, context);
  const ids = (d: KpiDefinition) => d.datasets.map((dataset) => dataset.id).join(',');
  // The active version reads other datasets: they may be empty too.
  if (ids(before) !== ids(after)) await warnEmptyInputs(deployment, before, from, end, context);
  return diff.requiresRecompute
    ? await impactOf(deployment, before, after, state, from, end, context.now())
    : await reevaluated(deployment, before, after, from, end);
}

/** The changes as lines, their strongest impact, and the impact table when there is one. */
function printDiff(
  context: CliContext,
  id: string,
  beforeLabel: string,
  afterLabel: string,
  diff: DefinitionDiff,
  impact: readonly ImpactRow[] | null,
  periods: number,
): void {
  context.stdout(`${id}: ${beforeLabel} → ${afterLabel}\n`);
  const lines = describeChanges(diff);
  context.stdout(lines.length === 0 ? '  no change\n' : lines.map((l) => `  ${l}\n`).join(''));
  if (diff.changes.length > 0) {
    context.stdout(
      `  strongest impact: ${diff.impact}${diff.requiresRecompute ? ' (values will change: recompute)' : ''}\n`,
    );
  }
  if (!impact) return;
  context.stdout(`\nImpact on the last ${periods} periods (overall row)\n`);
  context.stdout(`  ${'period'.padEnd(24)} ${beforeLabel.padEnd(26)} ${afterLabel}\n`);
  const cell = (v: { value: number | null; status: string } | null) =>
    v ? `${v.value === null ? '—' : Number(v.value.toPrecision(6))} ${v.status}` : 'no value';
  for (const row of impact) {
    const violations = [...(row.appeared ?? []).map((k) => `+${k}`), ...(row.disappeared ?? []).map((k) => `−${k}`)];
    const mark = `${row.statusChanged ? '  ← status changes' : ''}${violations.length > 0 ? ` ${violations.join(' ')}` : ''}`;
    context.stdout(`  ${row.periodStart.padEnd(24)} ${cell(row.before).padEnd(26)} ${cell(row.after)}${mark}\n`);
  }
}

export const command: CliCommand = {
  name: 'diff',
  summary: 'semantic diff of two versions of a KPI (or the active one and a file); --impact recomputes both',
  usage: `Usage: kpi diff KPI_ID [--from V] [--to V] [FILE] [--impact [--periods N]] [--format table|json]

Without FILE: compares version --from (default: the one before the active) with --to (default: the
active one). With FILE: compares the active version with the definition in FILE, before publishing.
Each change is one line: the path inside the definition, before → after, and what it affects
(calculation, evaluation, governance, schedule, metadata).

  --impact       the last N periods under both versions, overall values and statuses side by side
                 (nothing is stored): a change of evaluation only (target, thresholds, guardrail)
                 re-evaluates the stored values and lists the violations that would appear or
                 disappear; a change of calculation recomputes them from the raw data
  --periods N    how many periods --impact recomputes (default 7)

${DEPLOYMENT_USAGE}

  kpi diff ctr kpis/definitions/ctr.yaml --impact
  kpi diff ctr --from 1 --to 3`,
  async run(context) {
    const { values, id, file, periods, proposedFromFile } = diffOptions(context);
    return withDeployment(values, context, async (deployment) => {
      const state = await deployment.definitions.get(id);
      const version = async (text: string | undefined, fallback: number) => {
        const n = text === undefined ? fallback : Number(text);
        if (!Number.isInteger(n) || n < 1) throw new UsageError(`version ${text} is not a version number`);
        return { label: `v${n}`, version: n, definition: (await deployment.definitions.getVersion(id, n)).definition };
      };
      const activeVersion = state?.version ?? 0;
      const before: ComparedVersion = proposedFromFile
        ? { label: `v${activeVersion} (active)`, version: activeVersion, definition: state?.definition ?? null }
        : await version(values.from, Math.max(1, activeVersion - 1));
      const after = proposedFromFile
        ? { label: path.basename(file as string), version: 0, definition: proposedFromFile }
        : await version(values.to, activeVersion);
      const diff = diffDefinitions(before.definition ?? {}, after.definition);
      const impact =
        values.impact && before.definition
          ? await impactRows(deployment, state, before.definition, after.definition, diff, periods, context)
          : null;
      if (values.format === 'json') {
        context.stdout(`${JSON.stringify({ id, from: before.label, to: after.label, ...diff, impact }, null, 2)}\n`);
        return 0;
      }
      printDiff(context, id, before.label, after.label, diff, impact, periods);
      return 0;
    });
  },
};

interface ImpactRow {
  periodStart: string;
  before: { value: number | null; status: string } | null;
  after: { value: number | null; status: string } | null;
  statusChanged: boolean;
  /** Violations the new version would raise that the old did not, and the reverse (re-evaluation only). */
  appeared?: readonly string[];
  disappeared?: readonly string[];
}

/** The stored overall values of the last `periods` periods, re-evaluated under both versions. */
async function reevaluated(
  deployment: Deployment,
  active: KpiDefinition,
  proposed: KpiDefinition,
  from: number,
  end: number,
): Promise<ImpactRow[]> {
  const history = await deployment.values.history({
    kpiId: active.id,
    dimensions: {},
    grain: active.grain,
    from: isoTime(from),
    to: isoTime(end),
  });
  return evaluationImpact(active, proposed, history).rows.map((row) => ({
    periodStart: row.periodStart,
    before: { value: row.before.value, status: row.before.status },
    after: { value: row.after.value, status: row.after.status },
    statusChanged: row.statusChanged,
    appeared: row.appeared,
    disappeared: row.disappeared,
  }));
}

/** Recomputes the last `periods` periods under both definitions, in memory only. */
async function impactOf(
  deployment: Deployment,
  active: KpiDefinition,
  proposed: KpiDefinition,
  state: DefinitionState<KpiDefinition> | null,
  from: number,
  end: number,
  now: number,
): Promise<ImpactRow[]> {
  const overall = async (definition: KpiDefinition, version: number) => {
    const values = new MemoryKpiValueStore();
    const fixed: DefinitionState<KpiDefinition> = {
      id: definition.id,
      status: 'active',
      version,
      hash: contentHash(definition),
      definition,
      latestVersion: version,
      lastChange: state?.lastChange as DefinitionState<KpiDefinition>['lastChange'],
    };
    await computeKpi(
      {
        definitions: { get: async () => fixed },
        raw: new S3RawPartitions(
          deployment.clients.s3,
          deployment.names.rawBucket,
          new DynamoDbRawCommitLog(deployment.clients.dynamodb, deployment.names.stateTable),
        ),
        cache: new MemoryPartialCache(),
        values,
        codeVersion: 'impact',
      },
      { kpiId: definition.id, from, to: end, asOf: now },
    );
    const rows = new Map<string, { value: number | null; status: string }>();
    for (const date of new Set((await values.forDate('')).map((v) => v.periodStart))) {
      const [value] = (await values.forPeriod(definition.grain, date)).filter(
        (v) => Object.keys(v.dimensions).length === 0,
      );
      if (value) rows.set(date, { value: roundForUnit(value.value, definition), status: value.status });
    }
    return rows;
  };
  const [a, b] = [await overall(active, state?.version ?? 0), await overall(proposed, 0)];
  return [...new Set([...a.keys(), ...b.keys()])].sort().map((periodStart) => {
    const before = a.get(periodStart) ?? null;
    const after = b.get(periodStart) ?? null;
    return { periodStart, before, after, statusChanged: before?.status !== after?.status };
  });
}
