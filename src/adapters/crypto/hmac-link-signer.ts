// Adapter: link signatures (approval links, review links), HMAC-SHA256 over the link's signing
// payload. The key comes from a provider (Secrets Manager on AWS and locally); a rotated key keeps
// verifying as `previous` so the links already in inboxes keep working until they expire. Each kind
// of link has its own payload format, starting with its own version tag, so that a signature of one
// kind never verifies as another.
import { createHmac, timingSafeEqual } from 'node:crypto';
import { linkSigningPayload } from '../../domain/guardrails/approval-link';
import type { ApprovalLinkSigner } from '../../ports/approval-link-signer';
import type { PayloadSigner } from '../../ports/payload-signer';

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

function hmac(key: string, payload: string): Buffer {
  return createHmac('sha256', key).update(payload, 'utf8').digest();
}

/** Where the signer takes its keys: the cached ones, and a fresh read. */
export interface SigningKeySource {
  (): Promise<SigningKeys>;
  /**
   * Reads the keys again, unless they were read less than a moment ago (then undefined): a rotation
   * may have made a new current key, or retired the previous one, since they were cached.
   */
  refresh?: () => Promise<SigningKeys | undefined>;
}

/**
/**
 * Signs payloads with the current key, verifies against current then previous, with the keys as the
 * secret holds them now: each operation reads the secret again unless it was read less than a second
 * ago (`cachedSigningKeys`). So a link signed with a key rotated in a second ago verifies, one signed
 * with a key two rotations old never does, and no new link is signed with a retired key. Links are
 * opened by people, a few times each: the reads cost nothing worth caching longer, and a flood of
 * forged links costs at most one read a second per instance.
 */
export function createHmacSigner(keys: SigningKeySource): PayloadSigner {
  const load = async () => {
    const loaded = (await keys.refresh?.()) ?? (await keys());
    if (loaded.current.length < MIN_SIGNING_KEY_LENGTH) {
      throw new SigningKeyError(
        `the link signing key has ${loaded.current.length} characters; at least ${MIN_SIGNING_KEY_LENGTH} are needed`,
      );
    }
    return loaded;
  };
  return {
    async sign(payload) {
      return hmac((await load()).current, payload).toString('base64url');
    },
    async verify(payload, signature) {
      const given = Buffer.from(signature, 'base64url');
      if (given.length !== 32 || given.toString('base64url') !== signature) return false;
      const { current, previous } = await load();
      for (const key of previous ? [current, previous] : [current]) {
        if (timingSafeEqual(hmac(key, payload), given)) return true;
      }
      return false;
    },
  };
}

/** The approval links' signer: HMAC over the approval link's claims. */
export function createHmacLinkSigner(keys: SigningKeySource): ApprovalLinkSigner {
  const signer = createHmacSigner(keys);
  return {
    sign: (claims) => signer.sign(linkSigningPayload(claims)),
    verify: (claims, signature) => signer.verify(linkSigningPayload(claims), signature),
  };
}

/**
 * The keys `fetch` returns, read again on `refresh()` unless the last read is younger than
 * `minRefreshMs`. When a read fails (Secrets Manager throttled or unreachable), the last keys read
 * stand in for up to `ttlMs`, so a brown-out of Secrets Manager does not take the page down with it.
 */
export function cachedSigningKeys(
  fetch: () => Promise<SigningKeys>,
  ttlMs = 5 * 60_000,
  now: () => number = Date.now,
  minRefreshMs = 1000,
): SigningKeySource {
  let lastRead: { keys: Promise<SigningKeys>; readAt: number } | undefined;
  let lastGood: { keys: SigningKeys; readAt: number } | undefined;
  const read = (): Promise<SigningKeys> => {
    const readAt = now();
    const keys = fetch().then(
      (loaded) => {
        lastGood = { keys: loaded, readAt };
        return loaded;
      },
      (error: unknown) => {
        if (lastGood && now() < lastGood.readAt + ttlMs) return lastGood.keys;
        throw error;
      },
    );
    const entry = { keys, readAt };
    lastRead = entry;
    keys.catch(() => {
      if (lastRead === entry) lastRead = undefined;
    });
    return keys;
  };
  const source: SigningKeySource = () => (lastRead && now() < lastRead.readAt + ttlMs ? lastRead.keys : read());
  source.refresh = async () => (lastRead && now() < lastRead.readAt + minRefreshMs ? undefined : read());
  return source;
}
