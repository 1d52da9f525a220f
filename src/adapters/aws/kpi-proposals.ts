// AWS adapter: the KPI definition store with the proposals of each definition (calibrations, changes
// awaiting approval). Apart from kpi-definitions.ts, so that what only reads definitions does not
// carry the proposals' code.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type KpiDefinition, kpiDefinitionSchema } from '../../domain/definition/schema';
import type { Clock } from '../../ports/clock';
import { DynamoDbDefinitionAndProposalStore } from './dynamodb-proposal-store';

export function kpiDefinitionAndProposalStore(client: DynamoDBDocumentClient, tableName: string, clock: Clock) {
  return new DynamoDbDefinitionAndProposalStore<KpiDefinition>({
    client,
    tableName,
    clock,
    parse: (raw) => kpiDefinitionSchema.parse(raw),
  });
}
