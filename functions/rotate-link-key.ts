// Lambda: rotates the approval link signing key when Secrets Manager asks (its rotation schedule,
// or `aws secretsmanager rotate-secret`), one step per invocation.
import '../src/runtime/zod-at-cold-start';
import { randomBytes } from 'node:crypto';
import * as z from 'zod';
import { secretsManagerVersions } from '../src/adapters/aws/secrets-manager-versions';
import { MIN_SIGNING_KEY_LENGTH } from '../src/adapters/crypto/hmac-link-signer';
import { ValidationError } from '../src/domain/errors';
import { defineHandler } from '../src/runtime/handler';
import { ROTATION_STEPS, rotateSigningKey, SIGNING_KEY_LENGTH } from '../src/usecases/rotate-signing-key';

const environment = z.object({ LINK_KEY_SECRET_ARN: z.string().startsWith('arn:') });

/** The event Secrets Manager sends a rotation function. */
const rotationEvent = z.object({
  Step: z.enum(ROTATION_STEPS),
  SecretId: z.string().min(1),
  ClientRequestToken: z.string().min(1),
});

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 64 random alphanumerics, as the deployment generates the first key (rejection sampling: no bias). */
function newKey(): string {
  let key = '';
  while (key.length < SIGNING_KEY_LENGTH) {
    for (const byte of randomBytes(SIGNING_KEY_LENGTH)) {
      if (byte < 248 && key.length < SIGNING_KEY_LENGTH) key += ALPHANUMERIC[byte % 62];
    }
  }
  return key;
}

export const { handler, create, services } = defineHandler({
  name: 'rotate-link-key',
  environment,
  event: rotationEvent,
  correlationId: (event) => event.ClientRequestToken,
  clients: ['secrets'],
  dependencies: (env, { clients }) => ({
    secretArn: env.LINK_KEY_SECRET_ARN,
    versions: secretsManagerVersions(clients.secrets, env.LINK_KEY_SECRET_ARN),
  }),
  run: async (event, deps, { logger }) => {
    // The function may rotate the one secret it was deployed for, whatever the event names.
    if (event.SecretId !== deps.secretArn) {
      throw new ValidationError(`this function rotates ${deps.secretArn} only, not ${event.SecretId}`);
    }
    const outcome = await rotateSigningKey(event.Step, event.ClientRequestToken, {
      versions: deps.versions,
      newKey,
      minKeyLength: MIN_SIGNING_KEY_LENGTH,
    });
    logger.info('rotation step done', { step: event.Step, outcome });
    return { step: event.Step, outcome };
  },
});
