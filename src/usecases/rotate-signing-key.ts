// Use case: rotating the approval link signing key, one step of the Secrets Manager rotation
// protocol per call (createSecret → setSecret → testSecret → finishSecret). The key signs links
// only, so no other system learns the new value: setSecret has nothing to do. The page verifies
// the current and the previous version, so links sent before the rotation keep working until
// they expire.
import { ConflictError, ValidationError } from '../domain/errors';
import type { SecretVersions } from '../ports/secret-versions';

export const ROTATION_STEPS = ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The length of a generated key, and the shortest one the signer accepts. */
export const SIGNING_KEY_LENGTH = 64;

export interface RotateSigningKeyDeps {
  readonly versions: SecretVersions;
  /** A fresh random key of SIGNING_KEY_LENGTH characters. */
  readonly newKey: () => string;
  /** The shortest key the signer accepts. */
  readonly minKeyLength: number;
}

/** What a step did, for the log. */
export type RotationOutcome =
  | 'created'
  | 'already_created'
  | 'nothing_to_set'
  | 'tested'
  | 'finished'
  | 'already_current';

/**
 * Runs one step for the version `token`. Every step may run again (Secrets Manager retries a step
 * that failed), and each is idempotent.
 * @throws ConflictError when `token` is not a version being rotated in
 * @throws ValidationError when the pending key would not sign (testSecret)
 */
export async function rotateSigningKey(
  step: RotationStep,
  token: string,
  deps: RotateSigningKeyDeps,
): Promise<RotationOutcome> {
  const stages = await deps.versions.stages();
  const labels = stages[token];
  // Secrets Manager labels the new version AWSPENDING before the first step; any other token is not ours.
  if (!labels)
    throw new ConflictError(`version ${token} is not a version of the secret; rotation was not started for it`);
  if (labels.includes('AWSCURRENT'))
    return step === 'finishSecret' ? 'already_current' : step === 'createSecret' ? 'already_created' : 'tested';
  if (!labels.includes('AWSPENDING')) {
    throw new ConflictError(`version ${token} is neither current nor pending; it cannot be rotated in`);
  }
  switch (step) {
    case 'createSecret': {
      if (await deps.versions.valueOf(token, 'AWSPENDING')) return 'already_created';
      await deps.versions.putPending(token, deps.newKey());
      return 'created';
    }
    case 'setSecret':
      return 'nothing_to_set';
    case 'testSecret': {
      const pending = await deps.versions.valueOf(token, 'AWSPENDING');
      if (!pending || pending.length < deps.minKeyLength) {
        throw new ValidationError(
          `the pending signing key has ${pending?.length ?? 0} characters; at least ${deps.minKeyLength} are needed`,
        );
      }
      return 'tested';
    }
    case 'finishSecret': {
      const current = Object.entries(stages).find(([, l]) => l.includes('AWSCURRENT'))?.[0];
      if (!current) throw new ConflictError('the secret has no current version');
      await deps.versions.makeCurrent(token, current);
      return 'finished';
    }
  }
}
