// CLI: `kpi backfill` recomputes a KPI over a historical range with a progress bar and ETA;
// idempotent and resumable. On AWS, --workflow fans the chunks out with the backfill state machine.
import { DynamoDbBackfillCheckpoints } from '../../adapters/aws/dynamodb-backfill-checkpoints';
import type { Grain } from '../../domain/definition/schema';
import { isoTime } from '../../domain/engine/time';
import { DefinitionNotFoundError } from '../../domain/versioning/errors';
import { backfillChunks, backfillKpi } from '../../usecases/backfill-kpi';
import { type CliCommand, type CliContext, UsageError } from '../command';
import { instantOf, warnEmptyInputs, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE, type Deployment } from '../deployment';
import { parseOptions } from '../options';
import { duration, progressLine } from '../progress';

/** The command's options, checked: a KPI, a range that is not empty, a chunk size, an instant. */
function backfillOptions(context: CliContext) {
  const { values } = parseOptions(context.args, {
    ...DEPLOYMENT_OPTIONS,
    kpi: { type: 'string' },
    from: { type: 'string' },
    to: { type: 'string' },
    chunk: { type: 'string', default: '7' },
    'as-of': { type: 'string' },
    workflow: { type: 'boolean', default: false },
    force: { type: 'boolean', default: false },
  });
  if (!values.kpi) throw new UsageError('give --kpi ID');
  const from = values.from ? instantOf(values.from) : null;
  const to = values.to ? instantOf(values.to) : null;
  if (from === null || to === null) throw new UsageError('give --from and --to as YYYY-MM-DD or ISO-8601 instants');
  if (to <= from) throw new UsageError('--to must be after --from');
  const chunk = Number(values.chunk);
  if (!Number.isInteger(chunk) || chunk < 1 || chunk > 1000) throw new UsageError('--chunk is 1 to 1000 periods');
  const asOf = values['as-of'] === undefined ? context.now() : instantOf(values['as-of']);
  if (asOf === null) throw new UsageError('--as-of must be an ISO-8601 instant');
  if (values.workflow && values.force) {
    throw new UsageError('--force runs the chunks from here; leave out --workflow to force a backfill');
  }
  return { kpiId: values.kpi, from, to, chunk, asOf, values };
}

type BackfillOptions = ReturnType<typeof backfillOptions>;
type BackfillReport = Awaited<ReturnType<typeof backfillKpi>>;

/** Runs the chunks one by one from here, with a progress line (redrawn in place on a terminal). */
async function backfillHere(
  deployment: Deployment,
  state: { readonly hash: string; readonly definition: { readonly grain: Grain } },
  { kpiId, from, to, chunk, asOf, values }: BackfillOptions,
  context: CliContext,
  started: number,
): Promise<BackfillReport> {
  const tty = Boolean((process.stderr as { isTTY?: boolean }).isTTY) && context.env.CI !== 'true';
  const report = await backfillKpi(
    {
      checkpoints: new DynamoDbBackfillCheckpoints(deployment.clients.dynamodb, deployment.names.stateTable),
      computeChunk: async (event) => {
        const summary = await deployment.computeNow({ ...event, force: values.force });
        return { values: summary.values, restatements: summary.restatements };
      },
      onProgress: (done, total) => {
        const line = progressLine(done, total, context.now() - started);
        context.stderr(tty ? `\r${line}` : `${line}\n`);
      },
    },
    {
      kpiId,
      hash: state.hash,
      grain: state.definition.grain,
      from,
      to,
      chunkPeriods: chunk,
      asOf: isoTime(asOf),
      force: values.force,
    },
  );
  if (tty) context.stderr('\n');
  return report;
}

/** What the backfill did: nothing (finished by an earlier run), or chunks, values and restatements. */
function backfillSummary(report: BackfillReport, { kpiId, from, to, chunk, values }: BackfillOptions, tookMs: number) {
  const range = `${isoTime(from).slice(0, 10)} → ${isoTime(to).slice(0, 10)}`;
  if (report.computed === 0) {
    return (
      `${kpiId}: this backfill (${range}, ${report.chunks} chunks of ${chunk} periods, as of ${report.asOf}) was finished by an earlier run: nothing computed. ` +
      'Add --force to compute every chunk again (values that come out the same are not rewritten).\n'
    );
  }
  const what = values.force
    ? `${report.computed} chunks computed again (--force)`
    : `${report.chunks} chunks (${report.resumed} done by an earlier run, ${report.computed} computed now)`;
  return `${kpiId}: ${range}, ${what} as of ${report.asOf} in ${duration(tookMs)}; values created ${report.values.created}, updated ${report.values.updated}, unchanged ${report.values.unchanged}; restatements ${report.restatements}\n`;
}

export const command: CliCommand = {
  name: 'backfill',
  summary: 'recompute a KPI over past periods: progress bar and ETA, resumable, identical results on every run',
  usage: `Usage: kpi backfill --kpi ID --from DATE --to DATE [--chunk N] [--as-of INSTANT] [--workflow]

Computes the periods of KPI ID starting in [--from, --to) from the raw store, with the active
definition, in chunks of N periods (default 7). Each finished chunk is recorded: started again after
a crash or an interruption, the same command skips them and computes the rest as of the same
instant, so two runs give byte-identical values. Values that did not change are not rewritten.
Backfills do not hand violations to the guardrail stage.

  --as-of INSTANT   what the values are computed as of, for a new run (default: now)
  --force           compute every chunk again, those a previous run of the same backfill finished
                    too, and finalize every period even where inputs, definition and code are
                    unchanged (as of that run's instant; values that come out the same are not
                    rewritten, and the summary counts them as unchanged)
  --workflow        run the backfill through its state machine instead of one chunk at a time from
                    here: the raw partitions to aggregate are split into parts run in parallel (a
                    Distributed Map on AWS), then the chunks are finalized from what the parts kept

${DEPLOYMENT_USAGE}

  kpi backfill --kpi ctr --from 2026-06-01 --to 2026-07-01`,
  async run(context) {
    const options = backfillOptions(context);
    const { kpiId, from, to, asOf, values } = options;
    return withDeployment(values, context, async (deployment) => {
      const state = await deployment.definitions.get(kpiId);
      if (state?.status !== 'active') throw new DefinitionNotFoundError(kpiId);
      await warnEmptyInputs(
        deployment,
        state.definition,
        from,
        to,
        context,
        'then run this backfill again with --force',
      );
      const started = context.now();
      if (state.definition.grain === 'all_time') {
        context.stderr(
          `backfill ${kpiId}: its grain is all_time, one period over every record: --from and --to only select it\n`,
        );
      }
      if (values.workflow) {
        const chunks = backfillChunks(state.definition.grain, from, to, options.chunk);
        context.stderr(
          `backfill ${kpiId}: ${chunks.length} chunks through the backfill state machine on ${deployment.where}\n`,
        );
        const range = { from: chunks[0]?.from ?? isoTime(from), to: chunks.at(-1)?.to ?? isoTime(to) };
        const result = await deployment.backfillWorkflow({ kpiId, asOf: isoTime(asOf), ...range, periods: chunks });
        context.stdout(`${kpiId}: backfill workflow ${result.status} in ${duration(context.now() - started)}\n`);
        return result.status === 'SUCCEEDED' ? 0 : 1;
      }
      const report = await backfillHere(deployment, state, options, context, started);
      context.stdout(backfillSummary(report, options, context.now() - started));
      return 0;
    });
  },
};
