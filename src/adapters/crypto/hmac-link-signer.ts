// Adapter: approval link signatures, HMAC-SHA256 over the link's claims. The key comes from a
// provider (Secrets Manager on AWS and locally); a rotated key keeps verifying as `previous` so the
// links already in inboxes keep working until they expire.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { type ApprovalLinkClaims, linkSigningPayload } from '../../domain/guardrails/approval-link';
import type { ApprovalLinkSigner } from '../../ports/approval-link-signer';

export interface SigningKeys {
  /** Signs new links. */
  readonly current: string;
  /** Still accepted for verification after a rotation. */
  readonly previous?: string;
}

/** The shortest key accepted: 32 characters (the deployed secret has 64 random alphanumerics). */
export const MIN_SIGNING_KEY_LENGTH = 32;

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

function hmac(key: string, claims: ApprovalLinkClaims): Buffer {
  return createHmac('sha256', key).update(linkSigningPayload(claims), 'utf8').digest();
}

/** Where the signer takes its keys: the cached ones, and a fresh read when they may be out of date. */
export interface SigningKeySource {
  (): Promise<SigningKeys>;
  /**
   * Reads the keys again, unless they were read less than a moment ago (then undefined): a rotation
   * may have made a new current key, or retired the previous one, since they were cached.
   */
  refresh?: () => Promise<SigningKeys | undefined>;
}

/**
 * Signs with the current key, verifies against current then previous. When a signature matches
 * neither, or only the previous key, the keys may be older than a rotation: they are read again
 * (at most once a second, see `cachedSigningKeys`) and the signature checked against the fresh
 * ones. So a link signed with a key rotated in a second ago verifies at once, and one signed with
 * a key two rotations old never does, whatever the cache held.
 */
export function createHmacLinkSigner(keys: SigningKeySource): ApprovalLinkSigner {
  const checked = (loaded: SigningKeys) => {
    if (loaded.current.length < MIN_SIGNING_KEY_LENGTH) {
      throw new SigningKeyError(
        `the link signing key has ${loaded.current.length} characters; at least ${MIN_SIGNING_KEY_LENGTH} are needed`,
      );
    }
    return loaded;
  };
  const match = (loaded: SigningKeys, claims: ApprovalLinkClaims, given: Buffer): 'current' | 'previous' | null => {
    if (timingSafeEqual(hmac(loaded.current, claims), given)) return 'current';
    if (loaded.previous && timingSafeEqual(hmac(loaded.previous, claims), given)) return 'previous';
    return null;
  };
  return {
    async sign(claims) {
      return hmac(checked(await keys()).current, claims).toString('base64url');
    },
    async verify(claims, signature) {
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== 32 || given.toString('base64url') !== signature) return false;
      const cached = match(checked(await keys()), claims, given);
      if (cached === 'current') return true;
      const fresh = await keys.refresh?.();
      if (!fresh) return cached === 'previous';
      return match(checked(fresh), claims, given) !== null;
    },
  };
}

/**
 * Caches what `fetch` returns for `ttlMs`, so a warm function reads the secret once in a while,
 * and reads it again on `refresh()` unless the last read is younger than `minRefreshMs`: a flood
 * of forged links costs at most one read a second per instance.
 */
export function cachedSigningKeys(
  fetch: () => Promise<SigningKeys>,
  ttlMs = 5 * 60_000,
  now: () => number = Date.now,
  minRefreshMs = 1000,
): SigningKeySource {
  let cached: { keys: Promise<SigningKeys>; readAt: number } | undefined;
  const read = () => {
    const keys = fetch();
    const entry = { keys, readAt: now() };
    cached = entry;
    keys.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return keys;
  };
  const source: SigningKeySource = () => (cached && now() < cached.readAt + ttlMs ? cached.keys : read());
  source.refresh = async () => (cached && now() < cached.readAt + minRefreshMs ? undefined : read());
  return source;
}
