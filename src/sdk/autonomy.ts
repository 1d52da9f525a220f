// SDK for agents: read the autonomy mode an agent must obey before it acts. An agent is governed
// by its own control and by its use case's; the most restrictive wins.
//
//   import { createAutonomyReader } from 'agent-kpi-pipeline/src/sdk/autonomy';
//   const autonomy = createAutonomyReader({ tableName: process.env.CONTROLS_TABLE! });
//   if ((await autonomy.modeFor({ agentId: 'lead-router-1', useCase: 'lead_management' })) !== 'autonomous') { … }
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { controlItemSchema, controlKey } from '../adapters/aws/dynamodb-autonomy-controls';
import { type AutonomyMode, type AutonomySubject, mostRestrictive } from '../domain/guardrails/autonomy';

export type { AutonomyMode };

export interface AutonomyReaderOptions {
  /** The controls table (stack output / `CONTROLS_TABLE`). */
  readonly tableName: string;
  /** A document client; one with default settings is built when omitted. */
  readonly dynamodb?: DynamoDBDocumentClient;
  /** How long a read is reused, in milliseconds. @default 30000 */
  readonly cacheMs?: number;
  /**
   * The mode returned when the table cannot be read. `supervised` fails safe: the agent asks a
   * person instead of acting alone. @default 'supervised'
   */
  readonly onError?: AutonomyMode | 'throw';
  readonly now?: () => number;
}

export interface AutonomyReader {
  /** The mode the agent must obey: the most restrictive of its own control and its use case's. */
  modeFor(who: { agentId?: string; useCase?: string }): Promise<AutonomyMode>;
}

/** A cached, fail-safe reader of the autonomy controls table. */
export function createAutonomyReader(options: AutonomyReaderOptions): AutonomyReader {
  const dynamodb = options.dynamodb ?? DynamoDBDocumentClient.from(new DynamoDBClient({}));
  const cacheMs = options.cacheMs ?? 30_000;
  const now = options.now ?? Date.now;
  const cache = new Map<string, { mode: AutonomyMode; until: number }>();
  return {
    async modeFor(who) {
      const subjects: AutonomySubject[] = [];
      if (who.agentId) subjects.push({ kind: 'agent', id: who.agentId });
      if (who.useCase) subjects.push({ kind: 'use_case', id: who.useCase });
      const cacheKey = JSON.stringify(subjects);
      const hit = cache.get(cacheKey);
      if (hit && hit.until > now()) return hit.mode;
      try {
        const items = await Promise.all(
          subjects.map((subject) =>
            dynamodb.send(new GetCommand({ TableName: options.tableName, Key: controlKey(subject) })),
          ),
        );
        const mode = mostRestrictive(items.flatMap(({ Item }) => (Item ? [controlItemSchema.parse(Item).mode] : [])));
        cache.set(cacheKey, { mode, until: now() + cacheMs });
        return mode;
      } catch (error) {
        if (options.onError === 'throw') throw error;
        return options.onError ?? 'supervised';
      }
    },
  };
}
