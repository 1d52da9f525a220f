// CLI: `kpi replay` reads the quarantined rows of some days again under the dataset declaration in
// force (after `kpi dataset publish` fixed it): rows that now pass land in raw exactly once, the
// others stay in quarantine with their new reason, and the hours they belong to are restated.
import * as z from 'zod';
import { type CliCommand, UsageError } from '../command';
import { instantOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

const DAY = 86_400_000;

const counts = z.record(z.string(), z.number());
const replayReport = z.object({
  dataset: z.string(),
  declarationVersion: z.number(),
  days: z.array(
    z.object({
      date: z.string(),
      status: z.enum(['replayed', 'up_to_date', 'empty', 'busy']),
      batchId: z.string().nullable(),
      before: z.number(),
      after: z.number(),
      moved: z.number(),
      duplicate: z.number(),
      kept: z.number(),
      stillQuarantinedByReason: counts,
      movedByPreviousReason: counts,
      lateHours: z.array(z.string()),
    }),
  ),
  totals: z.object({ before: z.number(), after: z.number(), moved: z.number(), duplicate: z.number() }),
});

export const command: CliCommand = {
  name: 'replay',
  summary: 'read quarantined rows again under the dataset declaration in force; what passes lands in raw once',
  usage: `Usage: kpi replay --dataset ID --from DAY [--to DAY] [--format table|json]

Reads the rows quarantined on the days [--from, --to) (days of ingestion, UTC; --to defaults to the
day after --from) again under the declaration of ID in force, once a fix was published with
\`kpi dataset publish\`. Rows that now pass are committed to raw exactly once (a second replay adds
nothing; a replay that dies is finished by running it again); rows that still fail stay in
quarantine with their new reason. The hours the moved rows belong to are marked late, so the next
refresh of each KPI restates them; their batch manifest says "replayed from quarantine under dataset
version N". Counts reconcile per day: before = after + moved + duplicate.

  --dataset ID     the dataset
  --from DAY       first day (YYYY-MM-DD)
  --to DAY         day after the last (default: --from + 1 day)
  --format F       table (default) or json

${DEPLOYMENT_USAGE}

  kpi dataset publish --reason "bounced is absent when false" kpis/datasets/web_sessions.yaml
  kpi replay --dataset web_sessions --from 2026-06-01 --to 2026-06-08`,
  async run(context) {
    const { values } = parseOptions(context.args, {
      ...DEPLOYMENT_OPTIONS,
      dataset: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string', default: 'table' },
    });
    const dataset = values.dataset;
    if (!dataset || !/^[a-z][a-z0-9_]*$/.test(dataset)) throw new UsageError('give --dataset ID, a dataset id');
    const from = values.from === undefined ? null : instantOf(values.from);
    if (from === null || from % DAY !== 0) throw new UsageError('give --from DAY, a day (YYYY-MM-DD)');
    const to = values.to === undefined ? from + DAY : instantOf(values.to);
    if (to === null || to % DAY !== 0 || to <= from) throw new UsageError('--to is a day (YYYY-MM-DD) after --from');
    if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
    return withDeployment(values, context, async (deployment) => {
      const report = replayReport.parse(
        await deployment.runReplay({
          dataset,
          from: new Date(from).toISOString(),
          to: new Date(to).toISOString(),
        }),
      );
      if (values.format === 'json') {
        context.stdout(`${JSON.stringify(report, null, 2)}\n`);
        return 0;
      }
      context.stdout(
        `${dataset}: quarantine of ${new Date(from).toISOString().slice(0, 10)} to ${new Date(to - DAY).toISOString().slice(0, 10)} replayed under dataset version ${report.declarationVersion}\n`,
      );
      for (const day of report.days) {
        if (day.status === 'empty') continue;
        if (day.status === 'up_to_date') {
          context.stdout(
            `  ${day.date}  ${day.before} rows in quarantine, already replayed under this version: nothing to do\n`,
          );
          continue;
        }
        if (day.status === 'busy') {
          context.stdout(`  ${day.date}  another run is replaying this day; run the command again in a few minutes\n`);
          continue;
        }
        context.stdout(
          `  ${day.date}  before ${day.before} = after ${day.after} + moved ${day.moved}${day.duplicate > 0 ? ` + duplicate ${day.duplicate}` : ''}   (batch ${day.batchId})\n`,
        );
        const list = (byReason: Record<string, number>) =>
          Object.entries(byReason)
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([code, n]) => `${code} ${n}`)
            .join(', ');
        if (day.moved > 0)
          context.stdout(`              moved to raw, quarantined before for: ${list(day.movedByPreviousReason)}\n`);
        if (day.after > 0)
          context.stdout(
            `              still in quarantine: ${list(day.stillQuarantinedByReason)}${day.kept > 0 ? ` (${day.kept} cannot be read again: cut at the size limit, or kept without their CSV header)` : ''}\n`,
          );
        if (day.lateHours.length > 0) {
          context.stdout(
            `              ${day.lateHours.length} hour(s) marked late (${day.lateHours[0]}${day.lateHours.length > 1 ? ` … ${day.lateHours.at(-1)}` : ''}): the next refresh restates them\n`,
          );
        }
      }
      const t = report.totals;
      context.stdout(
        `total: before ${t.before} = after ${t.after} + moved ${t.moved}${t.duplicate > 0 ? ` + duplicate ${t.duplicate}` : ''}; on ${deployment.where}\n`,
      );
      return 0;
    });
  },
};
