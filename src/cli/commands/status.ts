// CLI: `kpi status` shows where every KPI stands: its latest complete value and status, drift, the
// trend against the period before, approvals waiting for a decision and open review items.
import { describeRisk, trendArrow } from '../../domain/reviews/scorecard';
import { kpiStatus } from '../../usecases/kpi-status';
import { type CliCommand, UsageError } from '../command';
import { withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { formatValue, periodLabel, table } from '../format';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'status',
  summary: "each KPI's latest value, status, drift, trend, open approvals and open review items",
  usage: `Usage: kpi status [--category C] [--format table|json]

One line per active KPI: the latest complete period's value and status (at risk: with the forecast's
chance of red by the end of its horizon), whether it drifts (now, or
in how many of the last 7 periods), the trend against the period before (↑ ↓ →, marked + when that
is better for the KPI and - when worse), the approvals waiting for a decision, and the open review
items (action items about the KPI, and drift review cases on it). Open action items about no KPI in
particular are listed below the table. On a terminal, statuses are coloured as in the report
(NO_COLOR turns that off, FORCE_COLOR on).

  --category C   only the KPIs of one category (operational_health, data_quality, governance,
                 reliability, business_impact)

${DEPLOYMENT_USAGE}

  kpi status
  kpi status --aws --format json`,
  async run(context) {
    const { values } = parseOptions(context.args, {
      ...DEPLOYMENT_OPTIONS,
      category: { type: 'string' },
      format: { type: 'string', default: 'table' },
    });
    if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
    return withDeployment(values, context, async (deployment) => {
      const status = await kpiStatus({
        definitions: deployment.definitions,
        values: deployment.values,
        approvals: deployment.approvals,
        reviews: deployment.reviews,
        clock: { now: context.now },
      });
      const kpis = status.kpis.filter((k) => !values.category || k.category === values.category);
      if (values.format === 'json') {
        const json = {
          at: status.at,
          where: deployment.where,
          kpis: kpis.map(({ definition: _definition, ...row }) => row),
          otherItems: status.otherItems,
          overdueItems: status.overdueItems,
        };
        context.stdout(`${JSON.stringify(json, null, 2)}\n`);
        return 0;
      }
      if (status.kpis.length === 0) {
        context.stdout(
          `No KPI is published on ${deployment.where}: publish with \`kpi publish\`, or run \`npm start\`.\n`,
        );
        return 0;
      }
      const rows = kpis.map((k) => [
        k.category.replace(/_/g, ' '),
        k.kpiId,
        k.periodStart ? periodLabel(k.periodStart, k.definition.grain) : '—',
        formatValue(k.value, k.definition),
        paintStatus(
          k.status,
          (k.status ?? 'no value').replace('_', ' ') +
            (k.status === 'at_risk' && k.redProbability !== null
              ? ` (${describeRisk(k.redProbability, k.horizon)})`
              : '') +
            (k.provisional ? ' (open)' : ''),
          colours(context.env),
        ),
        k.drifting ? 'drift' : k.recentDrifts > 0 ? `${k.recentDrifts}/7` : '',
        `${trendArrow(k.trend)}${k.trendMeaning === 'better' ? '+' : k.trendMeaning === 'worse' ? '-' : ' '}`,
        k.openApprovals > 0 ? String(k.openApprovals) : '',
        [
          k.openItems > 0 ? `${k.openItems} item${k.openItems === 1 ? '' : 's'}` : '',
          k.openCases > 0 ? `${k.openCases} case${k.openCases === 1 ? '' : 's'}` : '',
        ]
          .filter(Boolean)
          .join(', '),
      ]);
      context.stdout(`KPIs on ${deployment.where}, at ${status.at}\n\n`);
      context.stdout(
        `${table(['category', 'kpi', 'period', 'value', 'status', 'drift', 'trend', 'approvals', 'review items'], rows, new Set([3]))}\n`,
      );
      if (status.otherItems.length > 0) {
        context.stdout('\nOpen action items about no KPI in particular\n');
        for (const i of status.otherItems) context.stdout(`  ${i.due}  ${i.owner}  ${i.what}  (${i.reviewId})\n`);
      }
      if (status.overdueItems > 0) context.stdout(`\n${status.overdueItems} open action item(s) past their due day.\n`);
      return 0;
    });
  },
};

const STATUS_COLOURS: Readonly<Record<string, string>> = {
  green: '32',
  yellow: '33',
  at_risk: '38;5;208',
  red: '31',
};

/** Whether to colour: NO_COLOR off, FORCE_COLOR on (unless 0), else on a terminal. */
function colours(env: Readonly<Record<string, string | undefined>>): boolean {
  if (env.NO_COLOR !== undefined) return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0';
  return Boolean(process.stdout.isTTY);
}

/** A status's text in the report's colour for it (orange for at risk), grey for the rest. */
function paintStatus(status: string | null, text: string, on: boolean): string {
  return on ? `\u001b[${STATUS_COLOURS[status ?? ''] ?? '90'}m${text}\u001b[0m` : text;
}
