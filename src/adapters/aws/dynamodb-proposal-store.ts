// AWS adapter: proposals of new versions, on the definitions table beside the versions they would
// follow. A subclass of the definition store, so that functions that only read definitions (the
// compute function) carry none of it.
//
//   pk DEF#<id>  sk PROPOSAL#<pid>  gsi1pk PROPOSAL#<status>  gsi1sk <createdAt>#<id>#<pid>
//
// The status moves forward only (see `mayMove`), with a conditional update on the status it had.
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { ConflictError } from '../../domain/errors';
import { calibrationEvidenceSchema } from '../../domain/evaluation/calibration/propose';
import { impactSummarySchema } from '../../domain/evaluation/impact';
import { canonicalJson } from '../../domain/versioning/canonical-json';
import type { IdentifiedDefinition } from '../../domain/versioning/definition-versions';
import { DefinitionNotFoundError } from '../../domain/versioning/errors';
import {
  type DefinitionProposal,
  mayMove,
  PROPOSAL_SOURCES,
  PROPOSAL_STATUSES,
  type ProposalStatus,
  proposalApprovalSchema,
} from '../../domain/versioning/proposals';
import type { ProposalQuery, ProposalStore, ProposalUpdate } from '../../ports/definition-store';
import { DynamoDbDefinitionStore, pk } from './dynamodb-definition-store';
import { queryAll } from './dynamodb-query';

const proposalItemSchema = z.object({
  id: z.string(),
  proposalId: z.string(),
  source: z.enum(PROPOSAL_SOURCES),
  status: z.enum(PROPOSAL_STATUSES),
  createdAt: z.number(),
  updatedAt: z.number(),
  author: z.string(),
  reason: z.string(),
  baseVersion: z.number().int().positive().nullable(),
  body: z.string(),
  hash: z.string(),
  /** JSON text: float-exact, and free of DynamoDB's empty-value rules. */
  evidence: z.string().nullable(),
  impact: z.string().nullable(),
  approval: proposalApprovalSchema.nullable(),
  publishedVersion: z.number().int().positive().nullable(),
});

const proposalSk = (proposalId: string) => `PROPOSAL#${proposalId}`;
const proposalIndex = (status: ProposalStatus, p: { id: string; proposalId: string; createdAt: number }) => ({
  gsi1pk: `PROPOSAL#${status}`,
  gsi1sk: `${new Date(p.createdAt).toISOString()}#${p.id}#${p.proposalId}`,
});

/** {@link DynamoDbDefinitionStore} with the proposals of each definition. */
export class DynamoDbDefinitionAndProposalStore<T extends IdentifiedDefinition>
  extends DynamoDbDefinitionStore<T>
  implements ProposalStore<T>
{
  async propose(proposal: DefinitionProposal<T>): Promise<boolean> {
    const item = {
      pk: pk(proposal.kpiId),
      sk: proposalSk(proposal.id),
      ...proposalIndex(proposal.status, { id: proposal.kpiId, proposalId: proposal.id, createdAt: proposal.createdAt }),
      id: proposal.kpiId,
      proposalId: proposal.id,
      source: proposal.source,
      status: proposal.status,
      createdAt: proposal.createdAt,
      updatedAt: proposal.updatedAt,
      author: proposal.author,
      reason: proposal.reason,
      baseVersion: proposal.baseVersion,
      body: canonicalJson(proposal.definition),
      hash: proposal.hash,
      evidence: proposal.evidence ? JSON.stringify(proposal.evidence) : null,
      impact: proposal.impact ? JSON.stringify(proposal.impact) : null,
      approval: proposal.approval,
      publishedVersion: proposal.publishedVersion,
    } satisfies z.input<typeof proposalItemSchema> & Record<string, unknown>;
    try {
      await this.put(item, { ConditionExpression: 'attribute_not_exists(pk)' });
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async getProposal(kpiId: string, proposalId: string): Promise<DefinitionProposal<T> | null> {
    const { Item } = await this.options.client.send(
      new GetCommand({
        TableName: this.options.tableName,
        Key: { pk: pk(kpiId), sk: proposalSk(proposalId) },
        ConsistentRead: true,
      }),
    );
    return Item ? this.proposal(Item) : null;
  }

  async listProposals(query: ProposalQuery): Promise<DefinitionProposal<T>[]> {
    const since = query.since ?? 0;
    const items = query.kpiId
      ? await this.query({ KeyConditionExpression: 'pk = :pk AND begins_with(sk, :v)' }, pk(query.kpiId), 'PROPOSAL#')
      : await queryAll(this.options.client, {
          TableName: this.options.tableName,
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :status AND gsi1sk >= :since',
          ExpressionAttributeValues: {
            ':status': `PROPOSAL#${query.status ?? 'proposed'}`,
            ':since': new Date(since).toISOString(),
          },
        });
    return items
      .map((item) => this.proposal(item))
      .filter((p) => p.createdAt >= since && (query.status === undefined || p.status === query.status))
      .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1))
      .slice(0, query.limit ?? 100);
  }

  async updateProposal(kpiId: string, proposalId: string, update: ProposalUpdate): Promise<DefinitionProposal<T>> {
    const current = await this.getProposal(kpiId, proposalId);
    if (!current) throw new DefinitionNotFoundError(`${kpiId} proposal ${proposalId}`);
    if (current.status === update.status) return current;
    if (!mayMove(current.status, update.status)) {
      throw new ConflictError(
        `${kpiId} proposal ${proposalId} is ${current.status}; it cannot become ${update.status}`,
      );
    }
    const at = this.options.clock.now();
    const index = proposalIndex(update.status, { id: kpiId, proposalId, createdAt: current.createdAt });
    try {
      await this.options.client.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: pk(kpiId), sk: proposalSk(proposalId) },
          UpdateExpression:
            'SET #status = :to, updatedAt = :at, gsi1pk = :gpk, gsi1sk = :gsk, approval = :approval, publishedVersion = :published',
          ConditionExpression: '#status = :from',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':to': update.status,
            ':from': current.status,
            ':at': at,
            ':gpk': index.gsi1pk,
            ':gsk': index.gsi1sk,
            ':approval': update.approval ?? current.approval,
            ':published': update.publishedVersion ?? current.publishedVersion,
          },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      // This very update, applied and sent again by the SDK once its answer was lost, is done.
      const now = await this.getProposal(kpiId, proposalId);
      if (now?.status === update.status && now.updatedAt === at) return now;
      throw new ConflictError(`${kpiId} proposal ${proposalId} changed meanwhile; read it again`);
    }
    return {
      ...current,
      status: update.status,
      updatedAt: at,
      approval: update.approval ?? current.approval,
      publishedVersion: update.publishedVersion ?? current.publishedVersion,
    };
  }

  private proposal(raw: Record<string, unknown>): DefinitionProposal<T> {
    const item = proposalItemSchema.parse(raw);
    return {
      id: item.proposalId,
      kpiId: item.id,
      source: item.source,
      status: item.status,
      createdAt: item.createdAt,
      updatedAt: item.updatedAt,
      author: item.author,
      reason: item.reason,
      baseVersion: item.baseVersion,
      definition: this.body(item.id, item.body, item.hash),
      hash: item.hash,
      evidence: item.evidence === null ? null : calibrationEvidenceSchema.parse(JSON.parse(item.evidence)),
      impact: item.impact === null ? null : impactSummarySchema.parse(JSON.parse(item.impact)),
      approval: item.approval,
      publishedVersion: item.publishedVersion,
    };
  }
}
