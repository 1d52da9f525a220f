// Runtime: the environment the guardrail functions share, and the one place their adapters are
// built from it (functions/guardrail-intake.ts, approval-steps.ts, approval-page.ts).
import { randomUUID } from 'node:crypto';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { SNSClient } from '@aws-sdk/client-sns';
import * as z from 'zod';
import type { AwsClients, ClientSource } from '../adapters/aws/clients';
import { DynamoDbApprovalStore } from '../adapters/aws/dynamodb-approval-store';
import { DynamoDbAuditLog } from '../adapters/aws/dynamodb-audit-log';
import { DynamoDbAutonomyControls } from '../adapters/aws/dynamodb-autonomy-controls';
import { DynamoDbRawCommitLog } from '../adapters/aws/dynamodb-raw-commit-log';
import { secretsManagerSigningKeys } from '../adapters/aws/secrets-signing-keys';
import { StepFunctionsApprovalWorkflow } from '../adapters/aws/sfn-approval-workflow';
import { SnsGuardrailNotifier } from '../adapters/aws/sns-guardrail-notifier';
import { cachedSigningKeys, createHmacLinkSigner } from '../adapters/crypto/hmac-link-signer';
import { systemClock } from '../adapters/system-clock';
import { approverTierSchema } from '../domain/guardrails/approval';
import type { Clock } from '../ports/clock';
import { type Environment, jsonVariable, readEnvironment } from './environment';

const name = z.string().min(1);
const arn = z.string().startsWith('arn:');

/** The escalation chain, as CDK writes it from the deployment configuration (JSON). */
export const approverTiersVariable = jsonVariable(z.array(approverTierSchema).min(1));

export const guardrailVariables = {
  APPROVALS_TABLE: name,
  AUDIT_TABLE: name,
  CONTROLS_TABLE: name,
  /** The raw bucket; audit events are written under `dataset=pipeline_governance/`. */
  GOVERNANCE_BUCKET: name,
  /** The state table: audit events are committed to the raw store's commit log (`COMMITS#pipeline_governance`). */
  STATE_TABLE: name,
  APPROVER_TIERS: approverTiersVariable,
  APPROVAL_STATE_MACHINE_ARN: arn,
  APPROVALS_TOPIC_ARN: arn,
  OWNERS_TOPIC_ARN: arn,
  LINK_KEY_SECRET_ARN: arn,
  /** Base URL of the approval page (the HTTP API's endpoint, or a custom domain). */
  APPROVAL_PAGE_URL: z.url(),
} as const;

/**
 * The clients the guardrail functions load at cold start. Step Functions and SNS are loaded on the
 * first start, decision or message (`withLazyGuardrailClients`): the approval page's GET, the most
 * frequent cold start an approver waits for, never loads them.
 */
export const guardrailClients = ['dynamodb', 's3', 'secrets'] as const;

/** The clients the guardrail functions load on first use. */
export const guardrailLazyClients = ['sfn', 'sns'] as const;

/** The clients `guardrailAdapters` builds its adapters on. */
export type GuardrailClients = Pick<AwsClients, (typeof guardrailClients)[number]> & {
  readonly sfn: ClientSource<SFNClient>;
  readonly sns: ClientSource<SNSClient>;
};

/** `clients` (built at cold start) with Step Functions and SNS clients loaded on first use. */
export function withLazyGuardrailClients(
  clients: Pick<AwsClients, (typeof guardrailClients)[number]>,
  lazyClient: <S extends 'sfn' | 'sns'>(service: S) => () => Promise<AwsClients[S]>,
): GuardrailClients {
  return {
    get dynamodb() {
      return clients.dynamodb;
    },
    get s3() {
      return clients.s3;
    },
    get secrets() {
      return clients.secrets;
    },
    sfn: lazyClient('sfn'),
    sns: lazyClient('sns'),
  };
}

/** Builds only the adapters whose variables a function has; each is built once per cold start. */
export function guardrailAdapters(
  env: Partial<Record<Exclude<keyof typeof guardrailVariables, 'APPROVER_TIERS'>, string>> & {
    APPROVALS_TABLE: string;
    AUDIT_TABLE: string;
    GOVERNANCE_BUCKET: string;
    STATE_TABLE: string;
  },
  clients: GuardrailClients,
  clock: Clock = systemClock,
) {
  const approvals = new DynamoDbApprovalStore(clients.dynamodb, env.APPROVALS_TABLE, () => clock.now());
  const audit = new DynamoDbAuditLog(
    clients.dynamodb,
    env.AUDIT_TABLE,
    clients.s3,
    env.GOVERNANCE_BUCKET,
    new DynamoDbRawCommitLog(clients.dynamodb, env.STATE_TABLE),
  );
  return {
    clock,
    approvals,
    audit,
    controls: () => new DynamoDbAutonomyControls(clients.dynamodb, variable(env, 'CONTROLS_TABLE')),
    workflow: () => new StepFunctionsApprovalWorkflow(clients.sfn, env.APPROVAL_STATE_MACHINE_ARN),
    notifier: () =>
      new SnsGuardrailNotifier(clients.sns, {
        ...(env.APPROVALS_TOPIC_ARN ? { approvals: env.APPROVALS_TOPIC_ARN } : {}),
        ...(env.OWNERS_TOPIC_ARN ? { owners: env.OWNERS_TOPIC_ARN } : {}),
      }),
    signer: () =>
      createHmacLinkSigner(
        cachedSigningKeys(secretsManagerSigningKeys(clients.secrets, variable(env, 'LINK_KEY_SECRET_ARN'))),
      ),
    newApprovalId: () => randomUUID(),
  };
}

/**
 * A variable that only some guardrail functions have, read through its schema in
 * {@link guardrailVariables} when the adapter that needs it is first built.
 * @throws ConfigurationError when the function's environment lacks it or it is not valid
 */
function variable(env: Environment, key: 'CONTROLS_TABLE' | 'LINK_KEY_SECRET_ARN'): string {
  const variables = readEnvironment(z.object({ [key]: guardrailVariables[key] }), env, 'guardrail adapters');
  // The schema has just required the key.
  return variables[key] as string;
}
