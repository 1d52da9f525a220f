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

/**
 * Signs payloads with `keys().current`, verifies against current then previous. `keys` is called on
 * every operation; cache inside it (see `cachedSigningKeys`).
 */
export function createHmacSigner(keys: () => Promise<SigningKeys>): PayloadSigner {
  const load = async () => {
    const loaded = await keys();
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
export function createHmacLinkSigner(keys: () => Promise<SigningKeys>): ApprovalLinkSigner {
  const signer = createHmacSigner(keys);
  return {
    sign: (claims) => signer.sign(linkSigningPayload(claims)),
    verify: (claims, signature) => signer.verify(linkSigningPayload(claims), signature),
  };
}

/** Caches what `fetch` returns for `ttlMs`, so a warm function reads the secret once in a while. */
export function cachedSigningKeys(
  fetch: () => Promise<SigningKeys>,
  ttlMs = 5 * 60_000,
  now: () => number = Date.now,
): () => Promise<SigningKeys> {
  let cached: { keys: Promise<SigningKeys>; until: number } | undefined;
  return () => {
    if (!cached || cached.until <= now()) {
      const keys = fetch();
      cached = { keys, until: now() + ttlMs };
      keys.catch(() => {
        cached = undefined;
      });
    }
    return cached.keys;
  };
}
