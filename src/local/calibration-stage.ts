// Local runtime: the calibration stage as `npm start` shows it. The daily schedule's proposer runs
// (through the production handler) and stores a proposal for each KPI with a calibration cadence;
// then the proposal of a `high` KPI is published as `kpi publish` would: a target change on a KPI
// with that level of decision waits for the approval workflow, and the version in force stays
// until the approver decides (the Govern stage's demo approver does).
import { randomUUID } from 'node:crypto';
import { DynamoDbKpiValueStore } from '../adapters/aws/dynamodb-kpi-value-store';
import { kpiDefinitionAndProposalStore } from '../adapters/aws/kpi-proposals';
import { StepFunctionsApprovalWorkflow } from '../adapters/aws/sfn-approval-workflow';
import { systemClock } from '../adapters/system-clock';
import type { KpiDefinition } from '../domain/definition/schema';
import { describeThresholds, evidenceLines } from '../domain/evaluation/calibration/describe';
import { type DefinitionProposal, PROPOSAL_STATUSES } from '../domain/versioning/proposals';
import type { DueCalibration } from '../usecases/calibrate-kpi';
import { publishKpiDefinition } from '../usecases/publish-kpi-definition';
import type { LocalCloud } from './local-cloud';

/** What the stage did with the proposal of a high KPI, as read back from the store. */
export interface GatedCalibration {
  readonly kpiId: string;
  readonly proposalId: string;
  readonly approvalId: string;
  /** The version in force right after the publish, while the approval was pending. */
  readonly versionWhilePending: number;
  /** The proposal's status then. */
  readonly proposalStatusWhilePending: string;
}

export interface CalibrationStageResult {
  readonly calibrations: readonly DueCalibration[];
  readonly gated: GatedCalibration | null;
}

function stores(cloud: LocalCloud) {
  return {
    definitions: kpiDefinitionAndProposalStore(cloud.clients.dynamodb, cloud.physicalName('DefinitionsTable'), {
      now: () => Date.now(),
    }),
    values: new DynamoDbKpiValueStore({ client: cloud.clients.dynamodb, tableName: cloud.physicalName('ValuesTable') }),
  };
}

/** Runs the proposer at `end`, then publishes the first proposal of a high or critical KPI. */
export async function runCalibrationStage(
  cloud: LocalCloud,
  end: number,
  log: (line: string) => void,
): Promise<CalibrationStageResult> {
  const { calibrations } = (await cloud.functions.invoke('calibrate', {
    scheduledTime: new Date(end).toISOString(),
  })) as { calibrations: DueCalibration[] };
  const { definitions, values } = stores(cloud);
  let gated: GatedCalibration | null = null;
  for (const calibration of calibrations) {
    const proposal = await definitions.getProposal(calibration.kpiId, calibration.proposalId);
    if (!proposal) {
      log(`  ${calibration.kpiId}: ${calibration.result.replace(/_/g, ' ')}, nothing proposed`);
      continue;
    }
    const active = await definitions.get(calibration.kpiId);
    log(
      `  ${calibration.kpiId}: proposal ${proposal.id}: ${describeThresholds(active?.definition.target.thresholds ?? proposal.definition.target.thresholds)} → ${describeThresholds(proposal.definition.target.thresholds)}`,
    );
    for (const line of evidenceLines(proposal.evidence, proposal.impact)) log(`    ${line}`);
    if (gated || proposal.definition.guardrail.levelOfDecision === 'low') continue;
    const machine = cloud.stepFunctions.stateMachines.find((m) => m.logicalId.startsWith('GuardrailsStateMachine'));
    if (!machine) throw new Error('the app has no approval workflow');
    const result = await publishKpiDefinition(
      {
        store: definitions,
        schedules: { ensure: async () => 'unchanged', remove: async () => 'absent', names: async () => [] },
        workflow: new StepFunctionsApprovalWorkflow(cloud.clients.sfn, machine.arn),
        values,
        clock: systemClock,
        newApprovalId: randomUUID,
      },
      proposal.definition,
      { author: 'npm-start', reason: `publish calibration ${proposal.id}` },
    );
    if (result.outcome !== 'awaiting_approval') continue;
    const [state, pending] = await Promise.all([
      definitions.get(calibration.kpiId),
      definitions.getProposal(calibration.kpiId, proposal.id),
    ]);
    gated = {
      kpiId: calibration.kpiId,
      proposalId: proposal.id,
      approvalId: result.approvalId,
      versionWhilePending: state?.version ?? 0,
      proposalStatusWhilePending: pending?.status ?? 'missing',
    };
    log(
      `  published ${proposal.id} of ${calibration.kpiId} (level of decision ${proposal.definition.guardrail.levelOfDecision}): held for approval ${result.approvalId}; version ${gated.versionWhilePending} stays in force meanwhile`,
    );
  }
  return { calibrations, gated };
}

/** After the Govern stage: which version of the gated KPI is in force now, and who approved it. */
export async function describeGatedOutcome(cloud: LocalCloud, gated: GatedCalibration): Promise<string> {
  const { definitions } = stores(cloud);
  const [state, proposal] = await Promise.all([
    definitions.get(gated.kpiId),
    definitions.getProposal(gated.kpiId, gated.proposalId),
  ]);
  const approver = state?.lastChange.approval?.approver;
  return `${gated.kpiId}: version ${state?.version} in force; proposal ${gated.proposalId} ${proposal?.status}${approver ? ` (approved by ${approver})` : ''}`;
}

/** Every proposal made since `from`, in any status (what the report lists). */
export async function proposalsSince(cloud: LocalCloud, from: number): Promise<DefinitionProposal<KpiDefinition>[]> {
  const { definitions } = stores(cloud);
  const lists = await Promise.all(
    PROPOSAL_STATUSES.map((status) => definitions.listProposals({ status, since: from, limit: 1000 })),
  );
  return lists.flat();
}
