// Runtime: the environment the review functions share, and the one place their adapters are built
// from it (functions/review-pack.ts, functions/review-page.ts).
import * as z from 'zod';
import type { AwsClients } from '../adapters/aws/clients';
import { DynamoDbAuditLog } from '../adapters/aws/dynamodb-audit-log';
import { DynamoDbReviewStore } from '../adapters/aws/dynamodb-review-store';
import { S3ReviewPacks } from '../adapters/aws/s3-review-packs';
import { secretsManagerSigningKeys } from '../adapters/aws/secrets-signing-keys';
import { cachedSigningKeys, createHmacSigner } from '../adapters/crypto/hmac-link-signer';
import { reviewKindSchema } from '../domain/reviews/kinds';
import { jsonVariable } from './environment';

const name = z.string().min(1);
const arn = z.string().startsWith('arn:');

export const reviewVariables = {
  REVIEWS_TABLE: name,
  AUDIT_TABLE: name,
  /** The raw bucket; audit events are written under `dataset=pipeline_governance/`. */
  GOVERNANCE_BUCKET: name,
  /** The snapshots bucket; packs live under `reviews/`. */
  SNAPSHOTS_BUCKET: name,
  LINK_KEY_SECRET_ARN: arn,
  REVIEW_KIND: reviewKindSchema,
  /** Who receives the pack, as JSON: `["ops-lead@example.com"]`. */
  REVIEW_AUDIENCE: jsonVariable(z.array(z.email())),
  /** Base URL of the review page (the page API's endpoint, or a custom domain). */
  REVIEW_PAGE_URL: z.url(),
  REVIEW_LINK_DAYS: z.coerce.number().int().min(1).max(90),
  /** When a batch breaches freshness and what a quarantine spike is, as JSON. */
  REVIEW_DATA_QUALITY: jsonVariable(
    z.object({
      freshnessMinutes: z.number().positive(),
      spikeFactor: z.number().min(1),
      spikeMinRows: z.number().int().nonnegative(),
    }),
  ),
  REVIEWS_TOPIC_ARN: arn,
} as const;

/** The AWS services the review page uses; the builders add SNS for the emails. */
export const reviewClients = ['dynamodb', 's3', 'secrets'] as const;

/** The stores every review function uses; each built once per cold start. */
export function reviewStores(
  env: {
    REVIEWS_TABLE: string;
    AUDIT_TABLE: string;
    GOVERNANCE_BUCKET: string;
    SNAPSHOTS_BUCKET: string;
    LINK_KEY_SECRET_ARN: string;
  },
  clients: Pick<AwsClients, (typeof reviewClients)[number]>,
) {
  return {
    reviews: new DynamoDbReviewStore(clients.dynamodb, env.REVIEWS_TABLE),
    packs: new S3ReviewPacks(clients.s3, env.SNAPSHOTS_BUCKET),
    audit: new DynamoDbAuditLog(clients.dynamodb, env.AUDIT_TABLE, clients.s3, env.GOVERNANCE_BUCKET),
    signer: createHmacSigner(cachedSigningKeys(secretsManagerSigningKeys(clients.secrets, env.LINK_KEY_SECRET_ARN))),
  };
}
