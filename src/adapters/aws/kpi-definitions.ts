// AWS adapter: the definition store specialised to KPI definitions: validated by the engine's schema,
// stored without the `version` a file may carry (the store assigns versions) and read back with it.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type KpiDefinition, kpiDefinitionSchema } from '../../domain/definition/schema';
import type { Clock } from '../../ports/clock';
import { DynamoDbDefinitionStore } from './dynamodb-definition-store';

/** The content that is versioned: everything but `version` and the editor's `$schema`. */
export function storedDefinition(definition: KpiDefinition): KpiDefinition {
  const { version: _version, $schema: _schema, ...content } = definition;
  return content as KpiDefinition;
}

export function kpiDefinitionStore(client: DynamoDBDocumentClient, tableName: string, clock: Clock) {
  return new DynamoDbDefinitionStore<KpiDefinition>({
    client,
    tableName,
    clock,
    parse: (raw) => kpiDefinitionSchema.parse(raw),
  });
}
