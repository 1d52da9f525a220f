// AWS adapter: the approval store on the `approvals` table. Items share the table:
//   APPROVAL#<id> / REQUEST     the request (gsi1: STATUS#<status> / <requestedAt>#<id>)
//   APPROVAL#<id> / TIER#<nn>   one tier's notice and its task token (never returned to callers but getTaskToken)
//   CONCERN#<key> / CONCERN     the approval open for a concern (expires with the escalation chain)
//   NOTICE#<key>  / NOTICE      an owner notice already sent (expires after a week)
//   VIOLATION#<key> / APPROVAL  the approval that took up a violation (expires after 35 days)
// Every transition is a single-item conditional write (no transactions: dynalite has none, and
// none is needed), and `expiresAt` is the table's TTL attribute. A transition whose condition fails
// on a request that already stands exactly as it would leave it is taken as made: the write of this
// very call, applied by DynamoDB and sent again by the SDK once its answer was lost, or of a rerun
// of the same step.
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ConflictError } from '../../domain/errors';
import {
  type ApprovalOutcome,
  type ApprovalRequest,
  type ApprovalStatus,
  approvalRequestSchema,
  type TierNotice,
  tierNoticeSchema,
} from '../../domain/guardrails/approval';
import { autonomyModeSchema } from '../../domain/guardrails/autonomy';
import type { ApprovalStore, ConcernClaim, OwnerNoticeClaim, Transition } from '../../ports/approvals';
import { isConditionFailure, queryAll } from './dynamodb-query';

const requestKey = (approvalId: string) => ({ pk: `APPROVAL#${approvalId}`, sk: 'REQUEST' });
const tierKey = (approvalId: string, tier: number) => ({
  pk: `APPROVAL#${approvalId}`,
  sk: `TIER#${String(tier).padStart(2, '0')}`,
});
const statusIndex = (status: ApprovalStatus, request: Pick<ApprovalRequest, 'requestedAt' | 'approvalId'>) => ({
  gsi1pk: `STATUS#${status}`,
  gsi1sk: `${request.requestedAt}#${request.approvalId}`,
});

const concernSchema = z.object({
  concernKey: z.string(),
  approvalId: z.string(),
  violationKey: z.string(),
  previousMode: autonomyModeSchema,
  claimedAt: z.string(),
});

function withoutKeys(item: Record<string, unknown>): Record<string, unknown> {
  const { pk: _pk, sk: _sk, gsi1pk: _g1, gsi1sk: _g2, expiresAt: _e, taskToken: _t, ...rest } = item;
  return rest;
}

function sameOutcome(a: ApprovalOutcome | null, b: ApprovalOutcome): boolean {
  return (
    a !== null &&
    a.decision === b.decision &&
    a.approver === b.approver &&
    a.reason === b.reason &&
    a.decidedAt === b.decidedAt &&
    a.tier === b.tier
  );
}

/** The approval store over DynamoDB. `now` stamps conditions that compare with deadlines and expiries. */
export class DynamoDbApprovalStore implements ApprovalStore {
  constructor(
    private readonly dynamodb: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly now: () => number = Date.now,
  ) {}

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  async claimConcern(
    claim: ConcernClaim,
    expiresAtEpochSeconds: number,
  ): Promise<{ claimed: true } | { claimed: false; holder: ConcernClaim }> {
    const key = { pk: `CONCERN#${claim.concernKey}`, sk: 'CONCERN' };
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, ...claim, expiresAt: expiresAtEpochSeconds },
          // TTL deletes lazily: an expired claim counts as free.
          ConditionExpression: 'attribute_not_exists(pk) OR expiresAt < :now',
          ExpressionAttributeValues: { ':now': this.nowSeconds() },
        }),
      );
      return { claimed: true as const };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const { Item } = await this.dynamodb.send(
        new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
      );
      if (!Item) return this.claimConcern(claim, expiresAtEpochSeconds);
      return { claimed: false as const, holder: concernSchema.parse(withoutKeys(Item)) };
    }
  }

  async getConcern(concernKey: string) {
    const { Item } = await this.dynamodb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `CONCERN#${concernKey}`, sk: 'CONCERN' },
        ConsistentRead: true,
      }),
    );
    if (!Item || (typeof Item.expiresAt === 'number' && Item.expiresAt < this.nowSeconds())) return undefined;
    return concernSchema.parse(withoutKeys(Item));
  }

  async markViolation(violationKey: string, approvalId: string, expiresAtEpochSeconds: number) {
    await this.dynamodb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: `VIOLATION#${violationKey}`, sk: 'APPROVAL', approvalId, expiresAt: expiresAtEpochSeconds },
      }),
    );
  }

  async violationMark(violationKey: string) {
    const { Item } = await this.dynamodb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: `VIOLATION#${violationKey}`, sk: 'APPROVAL' },
        ConsistentRead: true,
      }),
    );
    return typeof Item?.approvalId === 'string' ? { approvalId: Item.approvalId } : undefined;
  }

  async releaseConcern(concernKey: string, approvalId: string) {
    try {
      await this.dynamodb.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `CONCERN#${concernKey}`, sk: 'CONCERN' },
          ConditionExpression: 'approvalId = :id',
          ExpressionAttributeValues: { ':id': approvalId },
        }),
      );
    } catch (error) {
      // Gone already, or another approval holds it now: either way not ours to free.
      if (!isConditionFailure(error)) throw error;
    }
  }

  async claimOwnerNotice({ noticeKey, claimId, leaseSeconds, expiresAtEpochSeconds }: OwnerNoticeClaim) {
    const now = this.nowSeconds();
    const key = { pk: `NOTICE#${noticeKey}`, sk: 'NOTICE' };
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...key, state: 'claimed', claimId, claimedAt: now, expiresAt: expiresAtEpochSeconds },
          // Free, forgotten, or claimed and never sent: by this very delivery (a retried write whose
          // first attempt was applied, a rerun after a crash) or by one whose lease ran out.
          ConditionExpression:
            'attribute_not_exists(pk) OR expiresAt < :now OR (#state = :claimed AND (claimId = :claim OR claimedAt < :stale))',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: {
            ':now': now,
            ':claimed': 'claimed',
            ':claim': claimId,
            ':stale': now - leaseSeconds,
          },
        }),
      );
      return 'claimed' as const;
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    // A notice stored before claims carried a state was sent.
    return Item?.state === 'claimed' ? ('pending' as const) : ('sent' as const);
  }

  async markOwnerNoticeSent(noticeKey: string, claimId: string) {
    await this.ifStillClaimed(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: `NOTICE#${noticeKey}`, sk: 'NOTICE' },
        UpdateExpression: 'SET #state = :sent',
        ConditionExpression: 'claimId = :claim',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':sent': 'sent', ':claim': claimId },
      }),
    );
  }

  async releaseOwnerNotice(noticeKey: string, claimId: string) {
    await this.ifStillClaimed(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: `NOTICE#${noticeKey}`, sk: 'NOTICE' },
        ConditionExpression: '#state = :claimed AND claimId = :claim',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':claimed': 'claimed', ':claim': claimId },
      }),
    );
  }

  /** Sends a write conditioned on this delivery's claim; another delivery holding it now is not an error. */
  private async ifStillClaimed(command: UpdateCommand | DeleteCommand): Promise<void> {
    try {
      await this.dynamodb.send(command);
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
    }
  }

  async createRequest(request: ApprovalRequest) {
    try {
      await this.dynamodb.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { ...requestKey(request.approvalId), ...statusIndex(request.status, request), ...request },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      if (isConditionFailure(error)) return false;
      throw error;
    }
  }

  async getRequest(approvalId: string) {
    const { Item } = await this.dynamodb.send(
      new GetCommand({ TableName: this.tableName, Key: requestKey(approvalId), ConsistentRead: true }),
    );
    return Item ? approvalRequestSchema.parse(withoutKeys(Item)) : undefined;
  }

  private async mustGet(approvalId: string): Promise<ApprovalRequest> {
    const request = await this.getRequest(approvalId);
    if (!request) throw new ConflictError(`approval ${approvalId} does not exist`);
    return request;
  }

  async listRequests(status: ApprovalStatus, limit = 100) {
    const requests: ApprovalRequest[] = [];
    for (const item of await queryAll(
      this.dynamodb,
      {
        TableName: this.tableName,
        IndexName: 'gsi1',
        KeyConditionExpression: 'gsi1pk = :status',
        ExpressionAttributeValues: { ':status': `STATUS#${status}` },
      },
      limit,
    ))
      requests.push(approvalRequestSchema.parse(withoutKeys(item)));
    return requests;
  }

  async openTier(notice: TierNotice, taskToken: string) {
    try {
      await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestKey(notice.approvalId),
          UpdateExpression: 'SET tierDeadline = :deadline',
          ConditionExpression: '#status = :pending AND currentTier = :tier',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':deadline': notice.deadline, ':pending': 'pending', ':tier': notice.tier },
        }),
      );
    } catch (error) {
      if (isConditionFailure(error)) {
        throw new ConflictError(`approval ${notice.approvalId} is not pending at tier ${notice.tier}`, {
          cause: error,
        });
      }
      throw error;
    }
    await this.dynamodb.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...tierKey(notice.approvalId, notice.tier), ...notice, taskToken },
      }),
    );
  }

  async getTaskToken(approvalId: string, tier: number) {
    const { Item } = await this.dynamodb.send(
      new GetCommand({
        TableName: this.tableName,
        Key: tierKey(approvalId, tier),
        ConsistentRead: true,
        ProjectionExpression: 'taskToken',
      }),
    );
    return typeof Item?.taskToken === 'string' ? Item.taskToken : undefined;
  }

  async listTierNotices(approvalId: string) {
    const { Items = [] } = await this.dynamodb.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :tier)',
        ExpressionAttributeValues: { ':pk': `APPROVAL#${approvalId}`, ':tier': 'TIER#' },
        ConsistentRead: true,
      }),
    );
    return Items.map((item) => tierNoticeSchema.parse(withoutKeys(item)));
  }

  /**
   * One conditional UpdateItem; on a lost condition, the request as it now stands, won when `made`
   * says it stands as this transition leaves it.
   */
  private async transition(
    approvalId: string,
    update: { expression: string; condition: string; values: Record<string, unknown> },
    made: (request: ApprovalRequest) => boolean,
  ): Promise<Transition> {
    try {
      const { Attributes } = await this.dynamodb.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: requestKey(approvalId),
          UpdateExpression: update.expression,
          ConditionExpression: `attribute_exists(pk) AND ${update.condition}`,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: update.values,
          ReturnValues: 'ALL_NEW',
        }),
      );
      return { won: true, request: approvalRequestSchema.parse(withoutKeys(Attributes ?? {})) };
    } catch (error) {
      if (!isConditionFailure(error)) throw error;
      const request = await this.mustGet(approvalId);
      return { won: made(request), request };
    }
  }

  async recordDecision(approvalId: string, outcome: ApprovalOutcome) {
    const request = await this.mustGet(approvalId);
    return this.transition(
      approvalId,
      {
        expression: 'SET #status = :decision, outcome = :outcome, gsi1pk = :gsi1pk',
        // The deadline check keeps a click that arrives after it from beating the escalation.
        condition: '#status = :pending AND currentTier = :tier AND tierDeadline > :now',
        values: {
          ':decision': outcome.decision,
          ':outcome': outcome,
          ':gsi1pk': statusIndex(outcome.decision, request).gsi1pk,
          ':pending': 'pending',
          ':tier': outcome.tier,
          ':now': new Date(this.now()).toISOString(),
        },
      },
      // This very decision (same approver, decision, reason and instant), not a later click.
      (r) => r.status === outcome.decision && sameOutcome(r.outcome, outcome),
    );
  }

  async closeTier(approvalId: string, tier: number, next: 'escalate' | 'expire') {
    const condition = '#status = :pending AND currentTier = :tier';
    if (next === 'escalate') {
      return this.transition(
        approvalId,
        {
          expression: 'SET currentTier = :next, tierDeadline = :none',
          condition,
          values: { ':next': tier + 1, ':none': null, ':pending': 'pending', ':tier': tier },
        },
        (r) => r.status === 'pending' && r.currentTier === tier + 1 && r.tierDeadline === null,
      );
    }
    return this.transition(
      approvalId,
      {
        expression: 'SET #status = :expired, gsi1pk = :gsi1pk',
        condition,
        values: { ':expired': 'expired', ':gsi1pk': 'STATUS#expired', ':pending': 'pending', ':tier': tier },
      },
      (r) => r.status === 'expired' && r.currentTier === tier,
    );
  }

  async markFailed(approvalId: string) {
    return this.transition(
      approvalId,
      {
        expression: 'SET #status = :failed, gsi1pk = :gsi1pk',
        condition: '#status = :pending',
        values: { ':failed': 'failed', ':gsi1pk': 'STATUS#failed', ':pending': 'pending' },
      },
      (r) => r.status === 'failed',
    );
  }

  async markClosed(approvalId: string, closedAt: string) {
    await this.dynamodb.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: requestKey(approvalId),
        UpdateExpression: 'SET closedAt = :closedAt',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':closedAt': closedAt },
      }),
    );
  }
}
