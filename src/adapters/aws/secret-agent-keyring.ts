// AWS adapters: the agents' signing keys, from one Secrets Manager secret holding a JSON object
// `{ "<agent id>": "<key>" }` (or a list of keys during a rotation). Cached for a minute, so a new
// agent or a revoked key takes effect quickly without a read per request.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import * as z from 'zod';
import { ConfigurationError } from '../../domain/errors';
import type { AgentKeyring } from '../../ports/agent-keyring';

const keysSchema = z.record(z.string(), z.union([z.string().min(16), z.array(z.string().min(16))]));
const TTL_MILLIS = 60_000;

export class SecretAgentKeyring implements AgentKeyring {
  private cached: { keys: Map<string, string[]>; until: number } | undefined;

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly secretId: string,
    private readonly now: () => number = Date.now,
  ) {}

  async keysOf(agentId: string): Promise<readonly string[]> {
    if (!this.cached || this.cached.until <= this.now()) {
      const { SecretString } = await this.secrets.send(new GetSecretValueCommand({ SecretId: this.secretId }));
      const parsed = keysSchema.safeParse(JSON.parse(SecretString ?? '{}'));
      if (!parsed.success) {
        throw new ConfigurationError(
          `the agent keys secret must be a JSON object of agent id to key (16 characters or more): ${parsed.error.issues[0]?.message}`,
        );
      }
      const keys = new Map(
        Object.entries(parsed.data).map(([agent, key]) => [agent, Array.isArray(key) ? key : [key]]),
      );
      this.cached = { keys, until: this.now() + TTL_MILLIS };
    }
    return this.cached.keys.get(agentId) ?? [];
  }
}
