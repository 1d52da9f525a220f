// CLI: `kpi autonomy show|set` reads and changes the autonomy mode of an agent or a use case. A
// change is an operator's audited decision: who, why and from what to what go to the audit trail.
// Like the other commands, it acts on the local deployment unless given --aws.
import { DynamoDbAuditLog } from '../../adapters/aws/dynamodb-audit-log';
import { DynamoDbAutonomyControls } from '../../adapters/aws/dynamodb-autonomy-controls';
import {
  AUTONOMY_MODES,
  type AutonomyMode,
  type AutonomySubject,
  effectiveMode,
} from '../../domain/guardrails/autonomy';
import { setAutonomyMode } from '../../usecases/guardrails/change-autonomy';
import { type CliCommand, UsageError } from '../command';
import { authorOf, withDeployment } from '../definition-commands';
import { DEPLOYMENT_OPTIONS, DEPLOYMENT_USAGE } from '../deployment';
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'autonomy',
  summary: 'show or set the autonomy mode (autonomous, supervised, paused) of an agent or use case',
  usage: `Usage: kpi autonomy show (--agent ID | --use-case ID)
       kpi autonomy set (--agent ID | --use-case ID) --mode MODE --reason TEXT [--operator NAME]

show  prints the mode, the approvals holding it supervised, and who changed it last.
set   sets the mode (autonomous, supervised or paused) as an operator: every hold is cleared, and
      the change is recorded in the audit trail (and the pipeline_governance dataset) with the
      operator and the reason.

  --operator NAME   who decides (default: KPI_AUTHOR, else git config user.email or user.name, else USER)

${DEPLOYMENT_USAGE}

  kpi autonomy show --agent lead-router-1
  kpi autonomy set --agent lead-router-1 --mode autonomous --reason "handoff SLA back to normal" --operator ana`,
  async run(context) {
    const { positionals, values } = parseOptions(
      context.args,
      {
        ...DEPLOYMENT_OPTIONS,
        agent: { type: 'string' },
        'use-case': { type: 'string' },
        mode: { type: 'string' },
        reason: { type: 'string' },
        operator: { type: 'string' },
      },
      true,
    );
    const [action, ...extra] = positionals;
    if ((action !== 'show' && action !== 'set') || extra.length > 0) throw new UsageError('say show or set');
    if (Boolean(values.agent) === Boolean(values['use-case'])) throw new UsageError('give --agent or --use-case');
    const subject: AutonomySubject = values.agent
      ? { kind: 'agent', id: values.agent }
      : { kind: 'use_case', id: values['use-case'] ?? '' };
    const who = `${subject.kind === 'agent' ? 'agent' : 'use case'} ${subject.id}`;
    const mode = values.mode as AutonomyMode | undefined;
    let operator = '';
    if (action === 'set') {
      if (!mode || !AUTONOMY_MODES.includes(mode))
        throw new UsageError(`--mode must be one of ${AUTONOMY_MODES.join(', ')}`);
      if (!values.reason?.trim()) throw new UsageError('--reason is required: it goes to the audit trail');
      operator = authorOf(values.operator, context, '--operator');
    }

    return withDeployment(values, context, async (deployment) => {
      const { dynamodb, s3 } = deployment.clients;
      const controls = new DynamoDbAutonomyControls(dynamodb, deployment.names.controlsTable);
      if (action === 'show') {
        const state = await controls.read(subject);
        context.stdout(`${who}: ${effectiveMode(state)}\n`);
        if (state.holds.length > 0) context.stdout(`  held supervised by approvals ${state.holds.join(', ')}\n`);
        if (state.updatedAt)
          context.stdout(`  last changed ${state.updatedAt} by ${state.updatedBy}: ${state.reason}\n`);
        else context.stdout('  never changed: the default mode\n');
        context.stdout(`on ${deployment.where}\n`);
        return 0;
      }
      const audit = new DynamoDbAuditLog(dynamodb, deployment.names.auditTable, s3, deployment.names.governanceBucket);
      const change = await setAutonomyMode(
        { subject, mode: mode as AutonomyMode, operator, reason: (values.reason ?? '').trim() },
        { controls, audit, clock: { now: context.now } },
      );
      context.stdout(
        `${who}: ${change.from} → ${change.to} (by operator ${operator}, audited)\non ${deployment.where}\n`,
      );
      return 0;
    });
  },
};
