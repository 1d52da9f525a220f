// CLI: `kpi autonomy show|set` reads and changes the autonomy mode of an agent or a use case. A
// change is an operator's audited decision: who, why and from what to what go to the audit trail.
import { createAwsClients } from '../../adapters/aws/clients';
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
import { parseOptions } from '../options';

export const command: CliCommand = {
  name: 'autonomy',
  summary: 'show or set the autonomy mode (autonomous, supervised, paused) of an agent or use case',
  usage: `Usage: kpi autonomy show (--agent ID | --use-case ID)
       kpi autonomy set (--agent ID | --use-case ID) --mode MODE --reason TEXT [--operator NAME]

show  prints the mode, the approvals holding it supervised, and who changed it last.
set   sets the mode (autonomous, supervised or paused) as an operator: every hold is cleared, and
      the change is recorded in the audit trail with the operator and the reason.

Tables and bucket: --controls-table (default $CONTROLS_TABLE or AgentKpi-controls),
--audit-table ($AUDIT_TABLE or AgentKpi-audit), --raw-bucket ($GOVERNANCE_BUCKET; needed by set,
which also writes the pipeline_governance record). AWS credentials, region and endpoints come from
the environment (AWS_PROFILE, AWS_REGION, AWS_ENDPOINT_URL_DYNAMODB, ...).

  kpi autonomy show --agent lead-router
  kpi autonomy set --agent lead-router --mode autonomous --reason "handoff SLA back to normal" --operator ana`,
  async run(context) {
    const { positionals, values } = parseOptions(
      context.args,
      {
        agent: { type: 'string' },
        'use-case': { type: 'string' },
        mode: { type: 'string' },
        reason: { type: 'string' },
        operator: { type: 'string' },
        'controls-table': { type: 'string' },
        'audit-table': { type: 'string' },
        'raw-bucket': { type: 'string' },
      },
      true,
    );
    const [action] = positionals;
    if (action !== 'show' && action !== 'set') throw new UsageError('say show or set');
    if (Boolean(values.agent) === Boolean(values['use-case'])) throw new UsageError('give --agent or --use-case');
    const subject: AutonomySubject = values.agent
      ? { kind: 'agent', id: values.agent }
      : { kind: 'use_case', id: values['use-case'] ?? '' };
    const env = context.env;
    const clients = await createAwsClients(env);
    const controls = new DynamoDbAutonomyControls(
      clients.dynamodb,
      values['controls-table'] ?? env.CONTROLS_TABLE ?? 'AgentKpi-controls',
    );
    const who = `${subject.kind === 'agent' ? 'agent' : 'use case'} ${subject.id}`;

    if (action === 'show') {
      const state = await controls.read(subject);
      context.stdout(`${who}: ${effectiveMode(state)}\n`);
      if (state.holds.length > 0) context.stdout(`  held supervised by approvals ${state.holds.join(', ')}\n`);
      if (state.updatedAt) context.stdout(`  last changed ${state.updatedAt} by ${state.updatedBy}: ${state.reason}\n`);
      return 0;
    }

    const mode = values.mode as AutonomyMode | undefined;
    if (!mode || !AUTONOMY_MODES.includes(mode))
      throw new UsageError(`--mode must be one of ${AUTONOMY_MODES.join(', ')}`);
    if (!values.reason?.trim()) throw new UsageError('--reason is required: it goes to the audit trail');
    const rawBucket = values['raw-bucket'] ?? env.GOVERNANCE_BUCKET;
    if (!rawBucket) throw new UsageError('give --raw-bucket (or set GOVERNANCE_BUCKET)');
    const audit = new DynamoDbAuditLog(
      clients.dynamodb,
      values['audit-table'] ?? env.AUDIT_TABLE ?? 'AgentKpi-audit',
      clients.s3,
      rawBucket,
    );
    const operator = values.operator ?? env.USER ?? 'unknown';
    const change = await setAutonomyMode(
      { subject, mode, operator, reason: values.reason.trim() },
      { controls, audit, clock: { now: context.now } },
    );
    context.stdout(`${who}: ${change.from} → ${change.to} (by operator ${operator}, audited)\n`);
    return 0;
  },
};
