// CLI: `kpi calibrate` proposes recalibrated thresholds for a KPI from its stored history, prints the
// evidence and the side-by-side impact on past periods, stores the proposal and writes it as a
// definition file ready for `kpi publish`.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { stringify } from 'yaml';
import { DynamoDbAnnotationStore } from '../../adapters/aws/dynamodb-annotation-store';
import { isoTime } from '../../domain/engine/time';
import { evidenceLines } from '../../domain/evaluation/calibration/describe';
import type { ImpactRow } from '../../domain/evaluation/impact';
import { calibrateKpi, calibrationOverrides } from '../../usecases/calibrate-kpi';
import { type CliCommand, type CliContext, UsageError } from '../command';
import { authorOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'calibrate',
  summary: 'propose new thresholds for a KPI from its history, with the evidence and the impact on past periods',
  usage: `Usage: kpi calibrate --kpi KPI_ID [--method quantiles|control_limits] [--lookback N] [--out FILE]
                     [--author NAME] [--format table|json]

Reads the KPI's stored overall values over its calibration lookback (provisional, insufficient and
annotated periods left out) and proposes thresholds by its calibration method, within its bounds.
Prints the evidence (the distribution, the method, how often each status would have fired) and every
stored period side by side under the current and the proposed target, with the violations that would
have appeared or disappeared. The proposal is stored with the definition (listed by \`kpi history\`)
and written to FILE (default KPI_ID.calibrated.yaml) for \`kpi publish\`: on a KPI whose level of
decision is high or critical, publishing it asks the approvers first.

  --kpi KPI_ID      the KPI (it needs a calibration block, or --method)
  --method M        quantiles or control_limits instead of the definition's method (its defaults)
  --lookback N      periods of history instead of the definition's lookback
  --out FILE        where the proposed definition is written
  --author NAME     who proposes (default: KPI_AUTHOR, else the login name)

${DEPLOYMENT_USAGE}

  kpi calibrate --kpi runtime_error_rate
  kpi publish --reason "monthly calibration" runtime_error_rate.calibrated.yaml`,
  async run(context) {
    const { values } = parseOptions(context.args, {
      ...DEPLOYMENT_OPTIONS,
      kpi: { type: 'string' },
      method: { type: 'string' },
      lookback: { type: 'string' },
      out: { type: 'string' },
      author: { type: 'string' },
      format: { type: 'string', default: 'table' },
    });
    const kpiId = values.kpi;
    if (!kpiId) throw new UsageError('give --kpi KPI_ID');
    if (values.method !== undefined && values.method !== 'quantiles' && values.method !== 'control_limits') {
      throw new UsageError('--method is quantiles or control_limits');
    }
    const lookback = values.lookback === undefined ? undefined : Number(values.lookback);
    if (lookback !== undefined && (!Number.isInteger(lookback) || lookback < 5 || lookback > 5000)) {
      throw new UsageError('--lookback is 5 to 5000 periods');
    }
    if (values.format !== 'table' && values.format !== 'json') throw new UsageError('--format is table or json');
    const out = path.resolve(context.cwd, values.out ?? `${kpiId}.calibrated.yaml`);
    return withDeployment(values, context, async (deployment) => {
      const state = await deployment.definitions.get(kpiId);
      const settings = calibrationOverrides(state?.definition.calibration, values.method as never, lookback);
      const result = await calibrateKpi(
        {
          store: deployment.definitions,
          values: deployment.values,
          annotations: new DynamoDbAnnotationStore(deployment.clients.dynamodb, deployment.names.definitionsTable),
          clock: { now: context.now },
        },
        {
          kpiId,
          proposalId: `calibration-${isoTime(context.now()).replace(/[-:.]/g, '').toLowerCase()}`,
          author: authorOf(values.author, context),
          reason: 'kpi calibrate',
          ...(settings ? { settings } : {}),
        },
      );
      if (result.kind === 'insufficient_history') {
        context.stderr(
          `${kpiId}: ${result.usable} usable periods, ${result.needed} needed: nothing proposed (compute more history, or lower minPeriods)\n`,
        );
        return 1;
      }
      if (result.kind === 'unchanged') {
        context.stdout(
          `${kpiId}: the method proposes the thresholds of version ${result.version}; nothing to change\n`,
        );
        return 0;
      }
      const { proposal, impact } = result;
      writeFileSync(out, proposedFile(out, proposal.id, proposal.definition, context));
      if (values.format === 'json') {
        context.stdout(`${JSON.stringify({ proposal: { ...proposal, file: out }, impact }, null, 2)}\n`);
        return 0;
      }
      context.stdout(`${kpiId}: proposal ${proposal.id} (v${proposal.baseVersion} in force)\n\n`);
      for (const line of evidenceLines(proposal.evidence, proposal.impact)) context.stdout(`  ${line}\n`);
      printImpact(context, impact);
      context.stdout(`\nProposed definition: ${path.relative(context.cwd, out) || out}\n`);
      context.stdout(
        `Publish it with: kpi publish --reason "calibration ${proposal.id}" ${path.relative(context.cwd, out)}${
          proposal.definition.guardrail.levelOfDecision === 'low'
            ? ''
            : ` (level of decision ${proposal.definition.guardrail.levelOfDecision}: an approver decides first)`
        }\n`,
      );
      return 0;
    });
  },
};

/** The proposed definition as YAML, with a header that says where it came from. */
function proposedFile(out: string, proposalId: string, definition: object, context: CliContext): string {
  const schema = path.join(context.cwd, 'schemas', 'kpi-definition.schema.json');
  return [
    ...(existsSync(schema) ? [`# yaml-language-server: $schema=${path.relative(path.dirname(out), schema)}`] : []),
    `# Proposed by kpi calibrate on ${isoTime(context.now()).slice(0, 16)}Z (proposal ${proposalId}).`,
    '# Publish it with `kpi publish`; its content identifies the proposal, so keep the thresholds as they are',
    '# (or edit them: that publishes your edit, without the link to this proposal).',
    stringify(definition, { lineWidth: 110 }),
  ].join('\n');
}

function printImpact(context: CliContext, rows: readonly ImpactRow[]): void {
  context.stdout(`\nImpact on the stored periods (overall row)\n`);
  context.stdout(`  ${'period'.padEnd(22)} ${'value'.padStart(12)}  ${'now'.padEnd(10)} ${'proposed'.padEnd(10)}\n`);
  for (const row of rows) {
    const value = row.before.value === null ? '—' : String(Number(row.before.value.toPrecision(6)));
    const notes = [
      row.statusChanged ? '← status changes' : '',
      ...row.appeared.map((k) => `+${k}`),
      ...row.disappeared.map((k) => `−${k}`),
    ].filter((n) => n);
    context.stdout(
      `  ${row.periodStart.slice(0, 16).padEnd(22)} ${value.padStart(12)}  ${row.before.status.padEnd(10)} ${row.after.status.padEnd(10)} ${notes.join(' ')}\n`,
    );
  }
  const changed = rows.filter((r) => r.statusChanged).length;
  const appeared = rows.reduce((n, r) => n + r.appeared.length, 0);
  const disappeared = rows.reduce((n, r) => n + r.disappeared.length, 0);
  context.stdout(
    `  ${changed} of ${rows.length} periods change status; violations: ${appeared} would appear, ${disappeared} disappear\n`,
  );
}
