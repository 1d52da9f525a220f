// AWS adapter: dataset declarations versioned in the `definitions` table, by the same store as KPI
// definitions (immutable versions with content hash, author and reason, an ACTIVE pointer, a change
// log), under their own namespace: `DATASET#<id>`.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DatasetDeclaration, validateDatasetDeclaration } from '../../domain/dataset';
import type { Clock } from '../../ports/clock';
import { DATASET_NAMESPACE, DynamoDbDefinitionStore } from './dynamodb-definition-store';

/** The content that is versioned: the declaration as validated (defaults filled in), without the editor's `$schema`. */
export function storedDeclaration(declaration: DatasetDeclaration): DatasetDeclaration {
  const { $schema: _schema, ...content } = declaration;
  return content as DatasetDeclaration;
}

export function datasetDeclarationStore(client: DynamoDBDocumentClient, tableName: string, clock: Clock) {
  return new DynamoDbDefinitionStore<DatasetDeclaration>({
    client,
    tableName,
    clock,
    namespace: DATASET_NAMESPACE,
    parse: (raw) => validateDatasetDeclaration(raw, 'a stored dataset declaration'),
  });
}
