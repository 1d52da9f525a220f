// Local runtime: Secrets Manager for the secrets the templates declare. Values are generated the way
// GenerateSecretString asks (or taken from SecretString) and served over the AWS JSON protocol,
// so handlers read them with the real @aws-sdk/client-secrets-manager.
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { AwsServiceError } from './aws-json-endpoint';
import type { TemplateResolver } from './template';

interface GenerateSecretString {
  PasswordLength?: number;
  ExcludePunctuation?: boolean;
  ExcludeCharacters?: string;
  SecretStringTemplate?: string;
  GenerateStringKey?: string;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  value: string;
  versionId: string;
  readonly createdDate: number;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const PUNCTUATION = '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~';

function generate(spec: GenerateSecretString): string {
  const excluded = new Set(spec.ExcludeCharacters ?? '');
  const alphabet = [...(spec.ExcludePunctuation ? ALPHANUMERIC : ALPHANUMERIC + PUNCTUATION)].filter(
    (c) => !excluded.has(c),
  );
  const length = spec.PasswordLength ?? 32;
  const bytes = randomBytes(length);
  const password = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
  if (spec.SecretStringTemplate && spec.GenerateStringKey) {
    return JSON.stringify({ ...JSON.parse(spec.SecretStringTemplate), [spec.GenerateStringKey]: password });
  }
  return password;
}

/** The secrets of the templates, addressable by ARN or name, as Secrets Manager would serve them. */
export class LocalSecretsManager {
  private readonly secrets = new Map<string, StoredSecret>();

  /**
   * @param stateFile where values are kept across starts (a persistent local deployment); values
   *   found there win over freshly generated ones, so signed links and API keys stay valid.
   */
  constructor(
    resolver: TemplateResolver,
    private readonly stateFile?: string,
  ) {
    const kept =
      stateFile && existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, string>) : {};
    for (const [name, value] of Object.entries(kept)) {
      this.add(`arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`, name, value, false);
    }
    for (const { stackName, logicalId, resource } of resolver.resourcesOfType('AWS::SecretsManager::Secret')) {
      const name = resolver.physicalName(stackName, logicalId);
      const props = (resolver.resolve(stackName, resource.Properties ?? {}) ?? {}) as {
        SecretString?: string;
        GenerateSecretString?: GenerateSecretString;
      };
      const value = kept[name] ?? props.SecretString ?? generate(props.GenerateSecretString ?? {});
      this.add(resolver.arn(stackName, logicalId), name, value, false);
    }
    this.save();
  }

  private add(arn: string, name: string, value: string, save = true): StoredSecret {
    const secret: StoredSecret = { arn, name, value, versionId: randomUUID(), createdDate: Date.now() / 1000 };
    this.secrets.set(arn, secret);
    this.secrets.set(name, secret);
    if (save) this.save();
    return secret;
  }

  private save(): void {
    if (!this.stateFile) return;
    const values = Object.fromEntries([...new Set(this.secrets.values())].map((s) => [s.name, s.value]));
    writeFileSync(this.stateFile, JSON.stringify(values, null, 2), { mode: 0o600 });
  }

  private find(secretId: unknown): StoredSecret {
    const secret = this.secrets.get(String(secretId));
    if (!secret)
      throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  /** Replaces a secret's value (tests, `npm start --data` with an API key of one's own). */
  setValue(secretId: string, value: string): void {
    const secret = this.find(secretId);
    secret.value = value;
    secret.versionId = randomUUID();
    this.save();
  }

  /** The operations served as `secretsmanager.*`. */
  operations(): Record<string, (input: Record<string, unknown>) => unknown> {
    return {
      GetSecretValue: (input) => {
        const s = this.find(input.SecretId);
        return {
          ARN: s.arn,
          Name: s.name,
          SecretString: s.value,
          VersionId: s.versionId,
          VersionStages: ['AWSCURRENT'],
          CreatedDate: s.createdDate,
        };
      },
      DescribeSecret: (input) => {
        const s = this.find(input.SecretId);
        return { ARN: s.arn, Name: s.name, CreatedDate: s.createdDate };
      },
      PutSecretValue: (input) => {
        const s = this.find(input.SecretId);
        this.setValue(s.arn, String(input.SecretString ?? ''));
        return { ARN: s.arn, Name: s.name, VersionId: s.versionId, VersionStages: ['AWSCURRENT'] };
      },
      CreateSecret: (input) => {
        const name = String(input.Name);
        if (this.secrets.has(name))
          throw new AwsServiceError('ResourceExistsException', `the secret ${name} already exists`);
        const s = this.add(
          `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`,
          name,
          String(input.SecretString ?? ''),
        );
        return { ARN: s.arn, Name: s.name, VersionId: s.versionId };
      },
    };
  }
}
