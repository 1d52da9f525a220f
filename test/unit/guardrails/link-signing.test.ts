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

describe('approval link signing across a rotation', () => {
  /** A secret whose versions rotate, read through the cache with a clock the test moves. */
  function rotatingSecret() {
    const keys = ['k'.repeat(64)];
    let reads = 0;
    let clock = 1_000_000;
    const source = cachedSigningKeys(
      async () => {
        reads += 1;
        return { current: keys.at(-1) as string, ...(keys.length > 1 ? { previous: keys.at(-2) as string } : {}) };
      },
      5 * 60_000,
      () => clock,
    );
    const signWith = (key: string) => createHmacLinkSigner(async () => ({ current: key })).sign(claims);
    return {
      signer: createHmacLinkSigner(source),
      signWith,
      rotate: () => keys.push(String(keys.length).repeat(64)),
      key: (age: number) => keys.at(-1 - age) as string,
      advance: (ms: number) => {
        clock += ms;
      },
      reads: () => reads,
    };
  }

  it('verifies a link signed with a key rotated in after the cache was filled', async () => {
    const secret = rotatingSecret();
    expect(await secret.signer.verify(claims, await secret.signWith(secret.key(0)))).toBe(true);
    secret.advance(1000);
    secret.rotate();
    secret.advance(1000);
    expect(await secret.signer.verify(claims, await secret.signWith(secret.key(0)))).toBe(true);
    expect(await secret.signer.verify(claims, await secret.signWith(secret.key(1)))).toBe(true);
  });

  it('refuses a link signed with a key two rotations old, whatever the cache held', async () => {
    const secret = rotatingSecret();
    secret.rotate();
    const old = await secret.signWith(secret.key(1));
    expect(await secret.signer.verify(claims, old)).toBe(true);
    secret.advance(2000);
    secret.rotate();
    expect(await secret.signer.verify(claims, old)).toBe(false);
  });

  it('reads the secret at most once a second however many forged links arrive', async () => {
    const secret = rotatingSecret();
    const forged = await secret.signWith('f'.repeat(64));
    for (let i = 0; i < 100; i++) expect(await secret.signer.verify(claims, forged)).toBe(false);
    expect(secret.reads()).toBe(1);
    secret.advance(1000);
    for (let i = 0; i < 100; i++) await secret.signer.verify(claims, forged);
    expect(secret.reads()).toBe(2);
  });

  it('signs a new link with the key rotated in, not the one it cached', async () => {
    const secret = rotatingSecret();
    await secret.signer.sign(claims);
    secret.advance(1000);
    secret.rotate();
    expect(await secret.signer.sign(claims)).toBe(await secret.signWith(secret.key(0)));
  });

  it('verifies with the keys it last read while Secrets Manager fails, for five minutes', async () => {
    let failing = false;
    let clock = 0;
    const source = cachedSigningKeys(
      async () => {
        if (failing) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return { current: KEY };
      },
      5 * 60_000,
      () => clock,
    );
    const browned = createHmacLinkSigner(source);
    const link = await signer.sign(claims);
    expect(await browned.verify(claims, link)).toBe(true);
    failing = true;
    clock += 60_000;
    expect(await browned.verify(claims, link)).toBe(true);
    clock += 5 * 60_000;
    await expect(browned.verify(claims, link)).rejects.toThrow(/Rate exceeded/);
  });

  it('reads the secret for a genuine link at most once a second too', async () => {
    const secret = rotatingSecret();
    const link = await secret.signWith(secret.key(0));
    for (let i = 0; i < 10; i++) expect(await secret.signer.verify(claims, link)).toBe(true);
    expect(secret.reads()).toBe(1);
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
