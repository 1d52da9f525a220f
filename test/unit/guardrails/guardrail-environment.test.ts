// The guardrail functions' shared wiring: a variable that only some of them have is read through its
// zod schema when the adapter that needs it is built, and a missing or malformed one is a
// ConfigurationError that names it (a deployment defect, not a transient failure).
import { describe, expect, it } from 'vitest';
import { createAwsClients, lazyAwsClient } from '../../../src/adapters/aws/clients';
import { DynamoDbAutonomyControls } from '../../../src/adapters/aws/dynamodb-autonomy-controls';
import { ConfigurationError } from '../../../src/domain/errors';
import {
  guardrailAdapters,
  guardrailClients,
  withLazyGuardrailClients,
} from '../../../src/runtime/guardrail-environment';

const tables = {
  APPROVALS_TABLE: 'approvals',
  AUDIT_TABLE: 'audit',
  GOVERNANCE_BUCKET: 'raw',
  STATE_TABLE: 'state',
};

async function adapters(extra: Record<string, string>) {
  const env = { AWS_REGION: 'eu-west-1' };
  const clients = await createAwsClients(env, { services: guardrailClients });
  return guardrailAdapters(
    { ...tables, ...extra },
    withLazyGuardrailClients(clients, (service) => lazyAwsClient(env, service)),
  );
}

describe('guardrailAdapters', () => {
  it('refuses to build the controls without CONTROLS_TABLE, naming the variable', async () => {
    const built = await adapters({});
    expect(() => built.controls()).toThrow(ConfigurationError);
    expect(() => built.controls()).toThrow(/CONTROLS_TABLE/);
  });

  it('refuses a link-key secret that is not an ARN, naming the variable and the rule', async () => {
    const built = await adapters({ LINK_KEY_SECRET_ARN: 'link-key' });
    expect(() => built.signer()).toThrow(ConfigurationError);
    expect(() => built.signer()).toThrow(/LINK_KEY_SECRET_ARN: .*arn:/);
  });

  it('builds both when their variables are valid', async () => {
    const built = await adapters({
      CONTROLS_TABLE: 'controls',
      LINK_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:link-key',
    });
    expect(built.controls()).toBeInstanceOf(DynamoDbAutonomyControls);
    expect(typeof built.signer().sign).toBe('function');
  });
});
