// Rotating the approval link signing key on the local cloud, as Secrets Manager does on its
// schedule: the rotation function runs its four steps, and the warm approval page keeps accepting
// links signed a second before and a second after, while a key two rotations old stops working.
import { DescribeSecretCommand, GetSecretValueCommand, RotateSecretCommand } from '@aws-sdk/client-secrets-manager';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHmacLinkSigner } from '../../src/adapters/crypto/hmac-link-signer';
import { type ApprovalLinkClaims, approvalLinkUrl } from '../../src/domain/guardrails/approval-link';
import { LocalCloud } from '../../src/local/local-cloud';
import { LocalApprovals, view } from '../support/local-approvals';
import { BASE_VIOLATION } from '../support/violations';

let cloud: LocalCloud;
let approvals: LocalApprovals;
let secretArn: string;
let claims: ApprovalLinkClaims;
let pageUrl: string;

const second = () => new Promise((resolve) => setTimeout(resolve, 1000));

/** A link for `claims` signed with the key the secret holds now as AWSCURRENT (read uncached). */
async function linkSignedNow(): Promise<string> {
  const { SecretString = '' } = await cloud.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const signature = await createHmacLinkSigner(async () => ({ current: SecretString })).sign(claims);
  return approvalLinkUrl(pageUrl, claims, signature);
}

async function rotate(): Promise<void> {
  await cloud.clients.secrets.send(new RotateSecretCommand({ SecretId: secretArn }));
}

beforeAll(async () => {
  cloud = await LocalCloud.start();
  approvals = await LocalApprovals.attach(cloud);
  secretArn = cloud.functions.get('approval-page').environment.LINK_KEY_SECRET_ARN ?? '';
  pageUrl = cloud.httpApis.url('GuardrailsPageApi');
  const approvalId = await approvals.open({
    ...BASE_VIOLATION,
    dimensions: { agent: 'rotation' },
    governs: { agentId: 'rotation', useCase: 'lead_handoff' },
  });
  const [email] = await approvals.emails(approvalId, 0, 1);
  const url = new URL(email?.link ?? '');
  claims = {
    approvalId,
    approver: url.searchParams.get('approver') ?? '',
    tier: 0,
    expiresAt: Number(url.searchParams.get('expires')),
  };
});

afterAll(async () => {
  await cloud?.stop();
});

describe('rotating the link signing key', () => {
  it('keeps links signed a second before and a second after a rotation working on a warm page', async () => {
    const before = await linkSignedNow();
    expect((await view(before)).status).toBe(200);
    await second();
    await rotate();
    await second();
    const after = await linkSignedNow();
    expect(after).not.toBe(before);
    expect((await view(after)).status).toBe(200);
    expect((await view(before)).status).toBe(200);
  });

  it('moves AWSCURRENT to the version the rotation function created and keeps the old one as AWSPREVIOUS', async () => {
    const { VersionIdsToStages = {}, RotationEnabled } = await cloud.clients.secrets.send(
      new DescribeSecretCommand({ SecretId: secretArn }),
    );
    expect(RotationEnabled).toBe(true);
    expect(
      Object.values(VersionIdsToStages)
        .map((stages) => stages.join())
        .sort(),
    ).toEqual(['AWSCURRENT', 'AWSPREVIOUS']);
    const { SecretString = '' } = await cloud.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    expect(SecretString).toMatch(/^[A-Za-z0-9]{64}$/);
  });

  it('refuses a link signed with a key two rotations old, and still takes the one before', async () => {
    const oneRotationOld = await linkSignedNow();
    await second();
    await rotate();
    const current = await linkSignedNow();
    await rotate();
    await second();
    const twoOld = await view(oneRotationOld);
    expect(twoOld.status).toBe(403);
    expect(twoOld.html).toContain('This link is not valid');
    expect((await view(current)).status).toBe(200);
  });

  it('signs the links of a new tier with the key current now, not the one a warm function cached', async () => {
    const approvalId = await approvals.open({
      ...BASE_VIOLATION,
      dimensions: { agent: 'rotation-later' },
      governs: { agentId: 'rotation-later', useCase: 'lead_handoff' },
    });
    const [email] = await approvals.emails(approvalId, 0, 1);
    const url = new URL(email?.link ?? '');
    const { SecretString = '' } = await cloud.clients.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
    const expected = await createHmacLinkSigner(async () => ({ current: SecretString })).sign({
      approvalId,
      approver: url.searchParams.get('approver') ?? '',
      tier: 0,
      expiresAt: Number(url.searchParams.get('expires')),
    });
    expect(url.searchParams.get('sig')).toBe(expected);
  });
});
