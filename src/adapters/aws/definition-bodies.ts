// AWS adapter: definitions and proposals for code that only moves definitions around (the approval
// workflow publishing an approved proposal). Bodies are checked against their content hash and for
// an id, not parsed by the KPI schema, which that code would otherwise carry for nothing: a
// definition is validated when it is proposed.
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../domain/errors';
import type { Clock } from '../../ports/clock';
import { DynamoDbDefinitionAndProposalStore } from './dynamodb-proposal-store';

/** A definition as stored, read back with its id checked only (for code that passes it through). */
export type StoredDefinitionBody = { readonly id: string } & Readonly<Record<string, unknown>>;

/**
 * The same store for code that only moves definitions around (the approval workflow publishing an
 * approved proposal): bodies are checked against their content hash and for an id, not parsed by
 * the KPI schema, which that code would otherwise carry for nothing.
 */
export function definitionBodyStore(client: DynamoDBDocumentClient, tableName: string, clock: Clock) {
  return new DynamoDbDefinitionAndProposalStore<StoredDefinitionBody>({
    client,
    tableName,
    clock,
    parse: (raw) => {
      if (typeof raw !== 'object' || raw === null || typeof (raw as { id?: unknown }).id !== 'string') {
        throw new ValidationError('a stored definition has no id');
      }
      return raw as StoredDefinitionBody;
    },
  });
}
