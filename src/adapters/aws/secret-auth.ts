// AWS adapters: the auth header of an HTTP source, from Secrets Manager. The secret holds the token
// as plain text or as JSON `{ "token": "..." }`; values are cached for a few minutes so a run of
// many pages reads the secret once, and a rotated token is picked up soon after.
import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { HttpSourceDeclaration } from '../../domain/dataset';
import { ConfigurationError } from '../../domain/errors';

const TTL_MILLIS = 5 * 60_000;

export class SecretAuthHeaders {
  private readonly cache = new Map<string, { value: string; until: number }>();

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly now: () => number = Date.now,
  ) {}

  /** The headers that authenticate requests to `http`; none when it declares no auth. */
  async headersFor(http: HttpSourceDeclaration): Promise<Record<string, string>> {
    if (!http.auth) return {};
    const token = await this.token(http.auth.secretName);
    return { [http.auth.header]: `${http.auth.prefix}${token}` };
  }

  /** A secret's value (the `token` field of a JSON secret), cached. */
  async token(secretName: string): Promise<string> {
    const cached = this.cache.get(secretName);
    if (cached && cached.until > this.now()) return cached.value;
    const { SecretString } = await this.secrets.send(new GetSecretValueCommand({ SecretId: secretName }));
    if (!SecretString) throw new ConfigurationError(`secret ${secretName} has no text value`);
    let value = SecretString;
    if (SecretString.trimStart().startsWith('{')) {
      const parsed = JSON.parse(SecretString) as { token?: unknown };
      if (typeof parsed.token !== 'string')
        throw new ConfigurationError(`secret ${secretName} is JSON without a "token" text field`);
      value = parsed.token;
    }
    this.cache.set(secretName, { value, until: this.now() + TTL_MILLIS });
    return value;
  }
}
