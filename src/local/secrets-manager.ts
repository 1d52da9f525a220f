// Local runtime: Secrets Manager for the secrets the templates declare. Values are generated the way
// GenerateSecretString asks (or taken from SecretString) and served over the AWS JSON protocol,
// so handlers read them with the real @aws-sdk/client-secrets-manager. Versions carry staging
// labels as on AWS (AWSCURRENT, AWSPREVIOUS, AWSPENDING): moving AWSCURRENT hands AWSPREVIOUS to
// the version it leaves, and RotateSecret runs the template's rotation function through its four
// steps (createSecret, setSecret, testSecret, finishSecret).
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

interface SecretVersion {
  readonly id: string;
  /** Unset while a rotation has labelled the version AWSPENDING but its createSecret step has not put a value yet. */
  value: string | undefined;
  readonly createdDate: number;
  readonly stages: Set<string>;
}

interface StoredSecret {
  readonly arn: string;
  readonly name: string;
  readonly createdDate: number;
  readonly versions: Map<string, SecretVersion>;
  rotation?: { lambdaArn: string; days: number | null; lastRotated: number | null };
}

/** What the state file keeps per secret: the current value and, after a rotation, the previous one. */
type KeptSecret = string | { current: string; previous?: string };

/** Runs a rotation function with one step's event (Lambda Invoke, synchronously). */
export type RotationInvoker = (functionArn: string, event: RotationEvent) => Promise<unknown>;

/** The event Secrets Manager sends a rotation function, once per step. */
export interface RotationEvent {
  readonly Step: 'createSecret' | 'setSecret' | 'testSecret' | 'finishSecret';
  readonly SecretId: string;
  readonly ClientRequestToken: string;
}

const CURRENT = 'AWSCURRENT';
const PREVIOUS = 'AWSPREVIOUS';
const PENDING = 'AWSPENDING';
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
  private invokeRotation: RotationInvoker | undefined;

  /**
   * @param stateFile where values are kept across starts (a persistent local deployment); values
   *   found there win over freshly generated ones, so signed links and API keys stay valid.
   */
  constructor(
    resolver: TemplateResolver,
    private readonly stateFile?: string,
  ) {
    const kept =
      stateFile && existsSync(stateFile)
        ? (JSON.parse(readFileSync(stateFile, 'utf8')) as Record<string, KeptSecret>)
        : {};
    const restore = (arn: string, name: string, fallback: () => string) => {
      const found = kept[name];
      const secret = this.add(arn, name, typeof found === 'string' ? found : (found?.current ?? fallback()));
      if (typeof found === 'object' && found.previous !== undefined) {
        const previous = this.newVersion(secret, found.previous, [PREVIOUS]);
        secret.versions.set(previous.id, previous);
      }
    };
    for (const [name] of Object.entries(kept)) {
      restore(`arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`, name, () => '');
    }
    for (const { stackName, logicalId, resource } of resolver.resourcesOfType('AWS::SecretsManager::Secret')) {
      const name = resolver.physicalName(stackName, logicalId);
      const props = (resolver.resolve(stackName, resource.Properties ?? {}) ?? {}) as {
        SecretString?: string;
        GenerateSecretString?: GenerateSecretString;
      };
      restore(
        resolver.arn(stackName, logicalId),
        name,
        () => props.SecretString ?? generate(props.GenerateSecretString ?? {}),
      );
    }
    for (const { stackName, resource } of resolver.resourcesOfType('AWS::SecretsManager::RotationSchedule')) {
      const props = (resolver.resolve(stackName, resource.Properties ?? {}) ?? {}) as {
        SecretId?: string;
        RotationLambdaARN?: string;
        RotationRules?: { AutomaticallyAfterDays?: number; ScheduleExpression?: string };
      };
      const secret = props.SecretId ? this.secrets.get(props.SecretId) : undefined;
      if (secret && props.RotationLambdaARN) {
        const days = props.RotationRules?.AutomaticallyAfterDays ?? daysOf(props.RotationRules?.ScheduleExpression);
        secret.rotation = { lambdaArn: props.RotationLambdaARN, days, lastRotated: null };
      }
    }
    this.save();
  }

  /** Lets RotateSecret run rotation functions (bound once the local functions exist). */
  bindRotation(invoke: RotationInvoker): void {
    this.invokeRotation = invoke;
  }

  private newVersion(secret: Pick<StoredSecret, 'versions'>, value: string, stages: string[], id = randomUUID()) {
    for (const stage of stages) for (const version of secret.versions.values()) version.stages.delete(stage);
    return { id, value, createdDate: Date.now() / 1000, stages: new Set(stages) };
  }

  private add(arn: string, name: string, value: string): StoredSecret {
    const secret: StoredSecret = { arn, name, createdDate: Date.now() / 1000, versions: new Map() };
    const version = this.newVersion(secret, value, [CURRENT]);
    secret.versions.set(version.id, version);
    this.secrets.set(arn, secret);
    this.secrets.set(name, secret);
    return secret;
  }

  private save(): void {
    if (!this.stateFile) return;
    const values = Object.fromEntries(
      [...new Set(this.secrets.values())].map((s) => {
        const current = this.versionAt(s, CURRENT)?.value ?? '';
        const previous = this.versionAt(s, PREVIOUS)?.value;
        return [s.name, previous === undefined ? current : { current, previous }];
      }),
    );
    writeFileSync(this.stateFile, JSON.stringify(values, null, 2), { mode: 0o600 });
  }

  private find(secretId: unknown): StoredSecret {
    const secret = this.secrets.get(String(secretId));
    if (!secret)
      throw new AwsServiceError('ResourceNotFoundException', "Secrets Manager can't find the specified secret.");
    return secret;
  }

  private versionAt(secret: StoredSecret, stage: string): SecretVersion | undefined {
    return [...secret.versions.values()].find((v) => v.stages.has(stage));
  }

  /**
   * Moves `stage` to the version `to` (taking it from wherever it was); moving AWSCURRENT gives
   * AWSPREVIOUS to the version it left, as Secrets Manager does.
   */
  private moveStage(secret: StoredSecret, stage: string, to: SecretVersion): void {
    const from = this.versionAt(secret, stage);
    if (from === to) return;
    from?.stages.delete(stage);
    to.stages.add(stage);
    if (stage === CURRENT && from) {
      this.versionAt(secret, PREVIOUS)?.stages.delete(PREVIOUS);
      from.stages.add(PREVIOUS);
    }
    // Versions without a label are deprecated; Secrets Manager drops them eventually.
    for (const version of [...secret.versions.values()]) {
      if (version.stages.size === 0) secret.versions.delete(version.id);
    }
  }

  /** Puts a new value as AWSCURRENT, the old one becoming AWSPREVIOUS (tests, `npm start --data`). */
  setValue(secretId: string, value: string): void {
    const secret = this.find(secretId);
    const version = { id: randomUUID(), value, createdDate: Date.now() / 1000, stages: new Set<string>() };
    secret.versions.set(version.id, version);
    this.moveStage(secret, CURRENT, version);
    this.save();
  }

  /** Runs the secret's rotation function through its four steps, as RotateSecret does. */
  async rotate(secretId: string, token: string = randomUUID()): Promise<string> {
    const secret = this.find(secretId);
    if (!secret.rotation) {
      throw new AwsServiceError('InvalidRequestException', `secret ${secret.name} has no rotation function`);
    }
    if (!this.invokeRotation) throw new AwsServiceError('InternalServiceError', 'rotation is not bound locally');
    // As on AWS, the new version exists (labelled AWSPENDING, without a value) before createSecret runs.
    if (!secret.versions.has(token)) {
      const pending: SecretVersion = { id: token, value: undefined, createdDate: Date.now() / 1000, stages: new Set() };
      secret.versions.set(token, pending);
      this.moveStage(secret, PENDING, pending);
    }
    for (const Step of ['createSecret', 'setSecret', 'testSecret', 'finishSecret'] as const) {
      await this.invokeRotation(secret.rotation.lambdaArn, { Step, SecretId: secret.arn, ClientRequestToken: token });
    }
    const pending = secret.versions.get(token);
    if (!pending?.stages.has(CURRENT)) {
      throw new AwsServiceError(
        'InternalServiceError',
        `rotation of ${secret.name} did not make version ${token} current`,
      );
    }
    pending.stages.delete(PENDING);
    secret.rotation.lastRotated = Date.now() / 1000;
    this.save();
    return token;
  }

  /** The operations served as `secretsmanager.*`. */
  operations(): Record<string, (input: Record<string, unknown>) => unknown> {
    return {
      GetSecretValue: (input) => this.getSecretValue(input),
      DescribeSecret: (input) => this.describeSecret(input),
      PutSecretValue: (input) => this.putSecretValue(input),
      UpdateSecretVersionStage: (input) => this.updateSecretVersionStage(input),
      RotateSecret: (input) => this.rotateSecret(input),
      CreateSecret: (input) => this.createSecret(input),
    };
  }

  /** GetSecretValue: the value of a version, by id or by stage (AWSCURRENT by default). */
  private getSecretValue(input: Record<string, unknown>) {
    const s = this.find(input.SecretId);
    const stage = typeof input.VersionStage === 'string' ? input.VersionStage : undefined;
    const byId = typeof input.VersionId === 'string' ? s.versions.get(input.VersionId) : undefined;
    const version = typeof input.VersionId === 'string' ? byId : this.versionAt(s, stage ?? CURRENT);
    if (!version || version.value === undefined || (stage && !version.stages.has(stage))) {
      throw new AwsServiceError(
        'ResourceNotFoundException',
        `Secrets Manager can't find the specified secret value for ${input.VersionId ? `VersionId: ${input.VersionId}` : `staging label: ${stage ?? CURRENT}`}`,
      );
    }
    return {
      ARN: s.arn,
      Name: s.name,
      SecretString: version.value,
      VersionId: version.id,
      VersionStages: [...version.stages],
      CreatedDate: version.createdDate,
    };
  }

  /** DescribeSecret: versions with their stages, and the rotation. */
  private describeSecret(input: Record<string, unknown>) {
    const s = this.find(input.SecretId);
    return {
      ARN: s.arn,
      Name: s.name,
      CreatedDate: s.createdDate,
      VersionIdsToStages: Object.fromEntries([...s.versions.values()].map((v) => [v.id, [...v.stages]])),
      RotationEnabled: Boolean(s.rotation),
      ...(s.rotation
        ? {
            RotationLambdaARN: s.rotation.lambdaArn,
            RotationRules: s.rotation.days ? { AutomaticallyAfterDays: s.rotation.days } : {},
            ...(s.rotation.lastRotated ? { LastRotatedDate: s.rotation.lastRotated } : {}),
          }
        : {}),
    };
  }

  /** PutSecretValue: a new version, the value of the pending one, or a retried put. */
  private putSecretValue(input: Record<string, unknown>) {
    const s = this.find(input.SecretId);
    const value = String(input.SecretString ?? '');
    const token = typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : randomUUID();
    const stages = Array.isArray(input.VersionStages) ? input.VersionStages.map(String) : [CURRENT];
    const existing = s.versions.get(token);
    if (existing && existing.value === undefined) {
      // The version a rotation labelled AWSPENDING gets its value.
      existing.value = value;
      for (const stage of stages) this.moveStage(s, stage, existing);
      this.save();
      return { ARN: s.arn, Name: s.name, VersionId: existing.id, VersionStages: [...existing.stages] };
    }
    if (existing) {
      // A retried put of the same version is a no-op; another value under its token is refused.
      if (existing.value !== value) {
        throw new AwsServiceError('ResourceExistsException', `version ${token} already exists with another value`);
      }
      return { ARN: s.arn, Name: s.name, VersionId: existing.id, VersionStages: [...existing.stages] };
    }
    const version: SecretVersion = { id: token, value, createdDate: Date.now() / 1000, stages: new Set() };
    s.versions.set(version.id, version);
    for (const stage of stages) this.moveStage(s, stage, version);
    this.save();
    return { ARN: s.arn, Name: s.name, VersionId: version.id, VersionStages: [...version.stages] };
  }

  /** UpdateSecretVersionStage: moves a stage to a version or takes it off one. */
  private updateSecretVersionStage(input: Record<string, unknown>) {
    const s = this.find(input.SecretId);
    const stage = String(input.VersionStage ?? '');
    const to = typeof input.MoveToVersionId === 'string' ? s.versions.get(input.MoveToVersionId) : undefined;
    const from = typeof input.RemoveFromVersionId === 'string' ? s.versions.get(input.RemoveFromVersionId) : undefined;
    if (input.RemoveFromVersionId !== undefined && !from?.stages.has(stage)) {
      throw new AwsServiceError(
        'InvalidParameterException',
        `${stage} is not attached to version ${input.RemoveFromVersionId}`,
      );
    }
    if (input.MoveToVersionId !== undefined && !to) {
      throw new AwsServiceError('ResourceNotFoundException', `version ${input.MoveToVersionId} not found`);
    }
    if (to) this.moveStage(s, stage, to);
    else from?.stages.delete(stage);
    this.save();
    return { ARN: s.arn, Name: s.name };
  }

  /** RotateSecret: runs the rotation function through its four steps. */
  private async rotateSecret(input: Record<string, unknown>) {
    const s = this.find(input.SecretId);
    const token = await this.rotate(
      s.arn,
      typeof input.ClientRequestToken === 'string' ? input.ClientRequestToken : undefined,
    );
    return { ARN: s.arn, Name: s.name, VersionId: token };
  }

  /** CreateSecret: a new secret with its first version. */
  private createSecret(input: Record<string, unknown>) {
    const name = String(input.Name);
    if (this.secrets.has(name))
      throw new AwsServiceError('ResourceExistsException', `the secret ${name} already exists`);
    const s = this.add(
      `arn:aws:secretsmanager:us-east-1:000000000000:secret:${name}`,
      name,
      String(input.SecretString ?? ''),
    );
    this.save();
    return { ARN: s.arn, Name: s.name, VersionId: this.versionAt(s, CURRENT)?.id };
  }
}

/** `rate(30 days)` → 30; anything else (a cron) → null. */
function daysOf(expression: string | undefined): number | null {
  const match = /^rate\((\d+) days?\)$/.exec(expression ?? '');
  return match ? Number(match[1]) : null;
}
