// AWS adapter: dataset declarations versioned in the `definitions` table, by the same store as KPI
// definitions (immutable versions with content hash, author and reason, an ACTIVE pointer, a change
// log), under their own namespace: `DATASET#<id>`.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { type DatasetDeclaration, validateDatasetDeclaration } from '../../domain/dataset';
import { contentHash } from '../../domain/versioning/content-hash';
import type { Clock } from '../../ports/clock';
import { DATASET_NAMESPACE, DynamoDbDefinitionStore } from './dynamodb-definition-store';

/** The content that is versioned: the declaration as validated (defaults filled in), without the editor's `$schema`. */
export function storedDeclaration(declaration: DatasetDeclaration): DatasetDeclaration {
  const { $schema: _schema, ...content } = declaration;
  return content as DatasetDeclaration;
}

/** Declarations in their stored form (`storedDeclaration`), by its content hash. */
export function storedDeclarationsByHash(declarations: Iterable<DatasetDeclaration>): Map<string, DatasetDeclaration> {
  const byHash = new Map<string, DatasetDeclaration>();
  for (const declaration of declarations) {
    const stored = storedDeclaration(declaration);
    byHash.set(contentHash(stored), stored);
  }
  return byHash;
}

/**
 * The published dataset declarations, validated as they are read.
 * @param validated declarations validated already in this process (those an ingestion function
 *   carries): a stored body with the content hash of one's stored form is that content, so it is
 *   read as that stored form without being validated a second time (validating a declaration's
 *   stored form gives it back unchanged). Hashed on the first read. @default none
 */
export function datasetDeclarationStore(
  client: DynamoDBDocumentClient,
  tableName: string,
  clock: Clock,
  validated: readonly DatasetDeclaration[] = [],
) {
  let byHash: Map<string, DatasetDeclaration> | undefined;
  return new DynamoDbDefinitionStore<DatasetDeclaration>({
    client,
    tableName,
    clock,
    namespace: DATASET_NAMESPACE,
    parse: (raw, hash) => {
      byHash ??= storedDeclarationsByHash(validated);
      return byHash.get(hash) ?? validateDatasetDeclaration(raw, 'a stored dataset declaration');
    },
  });
}
