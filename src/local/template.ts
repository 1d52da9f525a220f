// Local runtime: reads synthesized CloudFormation templates and resolves their intrinsic functions
// to the physical names and ARNs the local emulators use, so local resources are the deployed ones.

/** Account and region of the local "deployment"; the emulators answer with these. */
export const LOCAL_ACCOUNT = '000000000000';
export const LOCAL_REGION = 'us-east-1';

export interface CfnResource {
  readonly Type: string;
  readonly Properties?: Record<string, unknown>;
  readonly Metadata?: Record<string, unknown>;
  readonly DependsOn?: unknown;
}

export interface CfnTemplate {
  readonly Resources?: Record<string, CfnResource>;
  readonly Outputs?: Record<string, { Value: unknown; Export?: { Name: unknown } }>;
  readonly Parameters?: Record<string, { Default?: unknown }>;
  readonly Conditions?: Record<string, unknown>;
}

export interface StackTemplate {
  readonly stackName: string;
  readonly template: CfnTemplate;
}

export class TemplateResolutionError extends Error {
  override readonly name = 'TemplateResolutionError';
}

/** Short service names used in ARNs for resource types whose ARN the resolver synthesizes. */
const ARN_SERVICES: Record<string, string> = {
  'AWS::Lambda::Function': 'lambda',
  'AWS::StepFunctions::StateMachine': 'states',
  'AWS::SNS::Topic': 'sns',
  'AWS::SQS::Queue': 'sqs',
  'AWS::S3::Bucket': 's3',
  'AWS::DynamoDB::GlobalTable': 'dynamodb',
  'AWS::DynamoDB::Table': 'dynamodb',
  'AWS::IAM::Role': 'iam',
  'AWS::Logs::LogGroup': 'logs',
  'AWS::KMS::Key': 'kms',
  'AWS::SecretsManager::Secret': 'secretsmanager',
  'AWS::Scheduler::ScheduleGroup': 'scheduler',
  'AWS::Scheduler::Schedule': 'scheduler',
};

/**
 * Resolves `Ref`, `Fn::GetAtt`, `Fn::Join`, `Fn::Sub`, `Fn::Select`, `Fn::Split`, `Fn::If`,
 * `Fn::ImportValue` and `Fn::GetStackOutput` across a set of stacks, with stable fake ARNs.
 */
export class TemplateResolver {
  private readonly stacks: Map<string, CfnTemplate>;
  private readonly exportsByName = new Map<string, { stackName: string; value: unknown }>();

  constructor(stacks: readonly StackTemplate[]) {
    this.stacks = new Map(stacks.map((s) => [s.stackName, s.template]));
    for (const { stackName, template } of stacks) {
      for (const output of Object.values(template.Outputs ?? {})) {
        if (!output.Export) continue;
        const name = this.resolve(stackName, output.Export.Name);
        this.exportsByName.set(String(name), { stackName, value: output.Value });
      }
    }
  }

  get stackNames(): string[] {
    return [...this.stacks.keys()];
  }

  template(stackName: string): CfnTemplate {
    const template = this.stacks.get(stackName);
    if (!template) throw new TemplateResolutionError(`no stack named ${stackName}`);
    return template;
  }

  /** Every resource of a type across all stacks. */
  resourcesOfType(type: string): { stackName: string; logicalId: string; resource: CfnResource }[] {
    const found: { stackName: string; logicalId: string; resource: CfnResource }[] = [];
    for (const [stackName, template] of this.stacks) {
      for (const [logicalId, resource] of Object.entries(template.Resources ?? {})) {
        if (resource.Type === type) found.push({ stackName, logicalId, resource });
      }
    }
    return found;
  }

  resource(stackName: string, logicalId: string): CfnResource {
    const resource = this.template(stackName).Resources?.[logicalId];
    if (!resource) throw new TemplateResolutionError(`${stackName}: no resource ${logicalId}`);
    return resource;
  }

  /** The physical name a resource gets locally: its explicit name property, or one derived from its logical id. */
  physicalName(stackName: string, logicalId: string): string {
    const resource = this.resource(stackName, logicalId);
    const props = resource.Properties ?? {};
    const explicit: Record<string, string> = {
      'AWS::S3::Bucket': 'BucketName',
      'AWS::DynamoDB::GlobalTable': 'TableName',
      'AWS::DynamoDB::Table': 'TableName',
      'AWS::SNS::Topic': 'TopicName',
      'AWS::SQS::Queue': 'QueueName',
      'AWS::Lambda::Function': 'FunctionName',
      'AWS::StepFunctions::StateMachine': 'StateMachineName',
      'AWS::SecretsManager::Secret': 'Name',
      'AWS::Scheduler::ScheduleGroup': 'Name',
      'AWS::Scheduler::Schedule': 'Name',
      'AWS::Logs::LogGroup': 'LogGroupName',
    };
    const property = explicit[resource.Type];
    if (property && props[property] !== undefined) return String(this.resolve(stackName, props[property]));
    // Deterministic, short enough for every service's name limits, lowercase where S3 needs it.
    const derived = `${stackName}-${logicalId}`.slice(0, 63);
    return resource.Type === 'AWS::S3::Bucket' ? derived.toLowerCase() : derived;
  }

  /** The ARN a resource has locally. */
  arn(stackName: string, logicalId: string): string {
    const resource = this.resource(stackName, logicalId);
    const name = this.physicalName(stackName, logicalId);
    const service = ARN_SERVICES[resource.Type] ?? resource.Type.split('::')[1]?.toLowerCase() ?? 'unknown';
    switch (resource.Type) {
      case 'AWS::S3::Bucket':
        return `arn:aws:s3:::${name}`;
      case 'AWS::DynamoDB::GlobalTable':
      case 'AWS::DynamoDB::Table':
        return `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${name}`;
      case 'AWS::Lambda::Function':
        return `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${name}`;
      case 'AWS::StepFunctions::StateMachine':
        return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${name}`;
      case 'AWS::IAM::Role':
        return `arn:aws:iam::${LOCAL_ACCOUNT}:role/${name}`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:${LOCAL_REGION}:${LOCAL_ACCOUNT}:secret:${name}`;
      case 'AWS::Scheduler::ScheduleGroup':
        return `arn:aws:scheduler:${LOCAL_REGION}:${LOCAL_ACCOUNT}:schedule-group/${name}`;
      case 'AWS::Logs::LogGroup':
        return `arn:aws:logs:${LOCAL_REGION}:${LOCAL_ACCOUNT}:log-group:${name}:*`;
      default:
        return `arn:aws:${service}:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${name}`;
    }
  }

  private ref(stackName: string, logicalId: string): unknown {
    switch (logicalId) {
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT;
      case 'AWS::Region':
        return LOCAL_REGION;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackName':
        return stackName;
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stack/${stackName}/local`;
      case 'AWS::NoValue':
        return undefined;
    }
    const template = this.template(stackName);
    const parameter = template.Parameters?.[logicalId];
    if (parameter) return parameter.Default;
    const resource = this.resource(stackName, logicalId);
    // Ref returns the ARN for these types and the name for the rest.
    if (
      ['AWS::SNS::Topic', 'AWS::StepFunctions::StateMachine', 'AWS::SecretsManager::Secret', 'AWS::KMS::Key'].includes(
        resource.Type,
      )
    ) {
      return resource.Type === 'AWS::KMS::Key' ? logicalId : this.arn(stackName, logicalId);
    }
    if (resource.Type === 'AWS::SQS::Queue') return this.queueUrl(stackName, logicalId);
    return this.physicalName(stackName, logicalId);
  }

  /** The URL of a queue, in the form the SQS emulator answers with. */
  queueUrl(stackName: string, logicalId: string, endpoint = 'http://127.0.0.1'): string {
    return `${endpoint}/${LOCAL_ACCOUNT}/${this.physicalName(stackName, logicalId)}`;
  }

  private readonly attributeOverrides = new Map<string, string>();

  /**
   * Makes `Fn::GetAtt [logicalId, attribute]` resolve to `value`: for attributes only known once a
   * local server listens, such as an HTTP API's `ApiEndpoint`.
   */
  overrideAttribute(stackName: string, logicalId: string, attribute: string, value: string): void {
    this.attributeOverrides.set(`${stackName}/${logicalId}.${attribute}`, value);
  }

  private getAtt(stackName: string, logicalId: string, attribute: string): unknown {
    const resource = this.resource(stackName, logicalId);
    const override = this.attributeOverrides.get(`${stackName}/${logicalId}.${attribute}`);
    if (override !== undefined) return override;
    switch (attribute) {
      case 'Arn':
        if (resource.Type === 'AWS::KMS::Key') return `arn:aws:kms:${LOCAL_REGION}:${LOCAL_ACCOUNT}:key/${logicalId}`;
        return this.arn(stackName, logicalId);
      case 'Name':
      case 'QueueName':
      case 'TopicName':
        return this.physicalName(stackName, logicalId);
      case 'QueueUrl':
        return this.queueUrl(stackName, logicalId);
      case 'TopicArn':
        return this.arn(stackName, logicalId);
      case 'StreamArn':
        return `${this.arn(stackName, logicalId)}/stream/local`;
      case 'DomainName':
      case 'RegionalDomainName':
        return `${this.physicalName(stackName, logicalId)}.s3.${LOCAL_REGION}.amazonaws.com`;
      case 'FunctionUrl':
        return `http://127.0.0.1/${logicalId}/`;
      default:
        return `${logicalId}.${attribute}`;
    }
  }

  /** Resolves every intrinsic function inside `value`, as seen from `stackName`. */
  resolve(stackName: string, value: unknown): unknown {
    if (Array.isArray(value)) return value.map((v) => this.resolve(stackName, v)).filter((v) => v !== undefined);
    if (value === null || typeof value !== 'object') return value;
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 1) {
      const [key, arg] = entries[0] as [string, unknown];
      switch (key) {
        case 'Ref':
          return this.ref(stackName, String(arg));
        case 'Fn::GetAtt': {
          const [logicalId, attribute] = Array.isArray(arg) ? arg : String(arg).split('.');
          return this.getAtt(stackName, String(logicalId), String(attribute));
        }
        case 'Fn::Join': {
          const [delimiter, parts] = arg as [string, unknown[]];
          return (this.resolve(stackName, parts) as unknown[]).map(String).join(delimiter);
        }
        case 'Fn::Sub':
          return this.sub(stackName, arg);
        case 'Fn::Select': {
          const [index, list] = arg as [unknown, unknown];
          return (this.resolve(stackName, list) as unknown[])[Number(this.resolve(stackName, index))];
        }
        case 'Fn::Split': {
          const [delimiter, source] = arg as [string, unknown];
          return String(this.resolve(stackName, source)).split(delimiter);
        }
        case 'Fn::If': {
          const [condition, whenTrue, whenFalse] = arg as [string, unknown, unknown];
          return this.resolve(stackName, this.condition(stackName, condition) ? whenTrue : whenFalse);
        }
        case 'Fn::ImportValue': {
          const name = String(this.resolve(stackName, arg));
          const exported = this.exportsByName.get(name);
          if (!exported) throw new TemplateResolutionError(`${stackName}: no stack exports ${name}`);
          return this.resolve(exported.stackName, exported.value);
        }
        case 'Fn::GetStackOutput': {
          const { StackName, OutputName } = this.resolve(stackName, arg) as { StackName: string; OutputName: string };
          const output = this.template(StackName).Outputs?.[OutputName];
          if (!output) throw new TemplateResolutionError(`${StackName} has no output ${OutputName}`);
          return this.resolve(StackName, output.Value);
        }
        case 'Fn::Base64':
          return Buffer.from(String(this.resolve(stackName, arg))).toString('base64');
      }
    }
    return Object.fromEntries(entries.map(([k, v]) => [k, this.resolve(stackName, v)]));
  }

  private condition(stackName: string, name: string): boolean {
    const expression = this.template(stackName).Conditions?.[name];
    if (expression === undefined) throw new TemplateResolutionError(`${stackName}: no condition ${name}`);
    return this.evaluateCondition(stackName, expression);
  }

  private evaluateCondition(stackName: string, expression: unknown): boolean {
    const [key, arg] = Object.entries(expression as Record<string, unknown>)[0] ?? [];
    const args = arg as unknown[];
    switch (key) {
      case 'Fn::Equals':
        return JSON.stringify(this.resolve(stackName, args[0])) === JSON.stringify(this.resolve(stackName, args[1]));
      case 'Fn::Not':
        return !this.evaluateCondition(stackName, args[0]);
      case 'Fn::And':
        return args.every((a) => this.evaluateCondition(stackName, a));
      case 'Fn::Or':
        return args.some((a) => this.evaluateCondition(stackName, a));
      case 'Condition':
        return this.condition(stackName, String(arg));
      default:
        throw new TemplateResolutionError(`${stackName}: unsupported condition ${String(key)}`);
    }
  }

  private sub(stackName: string, arg: unknown): string {
    const [text, variables] = Array.isArray(arg) ? (arg as [string, Record<string, unknown>]) : [String(arg), {}];
    return text.replace(/\$\{([^}]+)\}/g, (_, expression: string) => {
      if (expression.startsWith('!')) return `\${${expression.slice(1)}}`;
      if (expression in variables) return String(this.resolve(stackName, variables[expression]));
      const [logicalId, ...attribute] = expression.split('.');
      if (attribute.length > 0) return String(this.getAtt(stackName, String(logicalId), attribute.join('.')));
      return String(this.ref(stackName, expression));
    });
  }
}
