import { describe, expect, it } from 'vitest';
import { cachedSigningKeys, createHmacLinkSigner } from '../../../src/adapters/crypto/hmac-link-signer';
import {
  type ApprovalLinkClaims,
  approvalLinkUrl,
  parseApprovalLink,
} from '../../../src/domain/guardrails/approval-link';

const claims: ApprovalLinkClaims = {
  approvalId: '7d5b0f3e-8a4c-4e0b-9a51-3f0c2a1b9e77',
  approver: 'ana@example.com',
  tier: 0,
  expiresAt: 1_795_000_000,
};
const KEY = 'a'.repeat(64);
const signer = createHmacLinkSigner(async () => ({ current: KEY }));

describe('approval link signing', () => {
  it('verifies the signature it made', async () => {
    expect(await signer.verify(claims, await signer.sign(claims))).toBe(true);
  });

  it('rejects a signature made with another key', async () => {
    const other = createHmacLinkSigner(async () => ({ current: 'b'.repeat(64) }));
    expect(await signer.verify(claims, await other.sign(claims))).toBe(false);
  });

  it('still verifies a link signed before the key was rotated', async () => {
    const rotated = createHmacLinkSigner(async () => ({ current: 'c'.repeat(64), previous: KEY }));
    expect(await rotated.verify(claims, await signer.sign(claims))).toBe(true);
  });

  it('refuses to sign with a key shorter than 32 characters', async () => {
    const weak = createHmacLinkSigner(async () => ({ current: 'short' }));
    await expect(weak.sign(claims)).rejects.toThrow(/at least 32/);
  });

  it('rejects a signature in a non-canonical base64url spelling', async () => {
    const signature = await signer.sign(claims);
    expect(await signer.verify(claims, `${signature}=`)).toBe(false);
  });

  it('reads the key once while the cache is fresh', async () => {
    let reads = 0;
    const keys = cachedSigningKeys(async () => {
      reads += 1;
      return { current: KEY };
    });
    await keys();
    await keys();
    expect(reads).toBe(1);
  });
});

describe('approval link format', () => {
  it('puts the claims and the signature in the query, and nothing else', () => {
    const url = new URL(approvalLinkUrl('https://x.example.com/prod', claims, 's'.repeat(43)));
    expect(url.pathname).toBe(`/prod/approvals/${claims.approvalId}`);
    expect([...url.searchParams.keys()]).toEqual(['approver', 'tier', 'expires', 'sig']);
  });

  it('reads back the claims of a link it wrote', () => {
    const url = new URL(approvalLinkUrl('https://x.example.com/', claims, 's'.repeat(43)));
    const parsed = parseApprovalLink(claims.approvalId, Object.fromEntries(url.searchParams));
    expect(parsed).toEqual({ ok: true, claims, signature: 's'.repeat(43) });
  });

  it('rejects a tier that is not a small whole number', () => {
    const parsed = parseApprovalLink(claims.approvalId, {
      approver: claims.approver,
      tier: '01',
      expires: '1795000000',
      sig: 's'.repeat(43),
    });
    expect(parsed).toEqual({ ok: false, problem: 'tier' });
  });
});
