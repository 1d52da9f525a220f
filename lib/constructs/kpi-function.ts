// CDK: the one Lambda construct. Every function of the pipeline is a KpiFunction, so the
// runtime, architecture, tracing, log retention and bundling are decided here and nowhere else.
import path from 'node:path';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, type IGrantable, PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import {
  Architecture,
  type CfnFunction,
  type IFunction,
  LoggingFormat,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IBucket } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { datasetStoragePrefixes, ingestionStateKeys } from '../../src/contracts/dataset-ownership';
import { METRICS_NAMESPACE } from '../../src/contracts/metrics';
import { acknowledge, acknowledgeWildcardResource } from '../nag';
import { repoRoot } from '../repo-root';
import { hasSecondaryIndexes } from '../stacks/resources';
import { POWERTOOLS_LAYER_PACKAGES, RuntimeLibrariesLayer } from './runtime-libraries-layer';
import { ServiceRole } from './service-role';

/** Where the pipeline's Lambda entry points live: `functions/<name>.ts`. */
export const functionsDir = path.join(repoRoot, 'functions');

export interface KpiFunctionProps {
  /** File name under `functions/` without extension, e.g. `self-check`. */
  readonly entry: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /** Powertools service name; also the metrics namespace dimension. */
  readonly serviceName: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /**
   * How the function is invoked. Asynchronous invocations (schedules, S3 events) need a dead-letter
   * queue so that no failed event is lost; synchronous callers (a state machine, a URL) see the error.
   */
  readonly invocation:
    | { readonly kind: 'synchronous'; readonly caller: string }
    | { readonly kind: 'asynchronous'; readonly deadLetterQueue: IQueue };
  /** Extra environment, beyond what the bind helpers add. */
  readonly environment?: Record<string, string>;
  /**
   * Files written beside the bundle, by path relative to the code root (e.g.
   * `kpis/datasets/leads.json`) with their content; read at run time relative to the code root.
   * @default none
   */
  readonly bundledFiles?: Readonly<Record<string, string>>;
  /**
   * Repository files (paths from the repository root) copied beside the bundle: a path alone lands
   * under its base name (a module the code loads on demand, such as a WebAssembly library, kept out
   * of the bundle so it costs nothing at import); `{ from, to }` lands at `to`, relative to the code
   * root (a file too large to write from the command line that the code resolves as a package, such
   * as the chart library a page inlines). @default none
   */
  readonly copiedFiles?: readonly (string | { readonly from: string; readonly to: string })[];
  /**
   * Executions reserved for this function: it never runs more at once (a flood is throttled here),
   * and the rest of the account can never take them. @default none reserved
   */
  readonly reservedConcurrency?: number | null;
  /**
   * Modules bundled on their own beside the function's bundle, by output file name (e.g.
   * `forecasting.mjs`) with their entry (path from the repository root), with the same settings as
   * the bundle: code the function imports by file URL only when it needs it, so that it costs the
   * bundle and its import nothing. @default none
   */
  readonly lazyBundles?: Readonly<Record<string, string>>;
  /** Escape hatch for the few settings a stage needs (reserved concurrency, DLQ, ...). */
  readonly overrides?: Partial<NodejsFunctionProps>;
}

/** The DynamoDB actions that address items by key (Scan is not one: it names no key). */
export const DYNAMO_ITEM_READS = ['GetItem', 'BatchGetItem', 'Query', 'ConditionCheckItem'] as const;
export const DYNAMO_ITEM_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem'] as const;
export type DynamoItemAction = (typeof DYNAMO_ITEM_READS)[number] | (typeof DYNAMO_ITEM_WRITES)[number];

/**
 * Modules left out of every bundle. The AWS SDK v3 and the Powertools logger and metrics come from
 * the stack's runtime-libraries layer (pre-bundled, at the lock file's versions: see
 * `RuntimeLibrariesLayer`); the tracer (Powertools and the X-Ray SDK, ~120 KB) is imported only when
 * tracing is on, from a package of its own that bundling writes beside the code (see
 * `tracerPackageCommands`).
 */
export const EXTERNAL_MODULES = ['@aws-sdk/*', ...POWERTOOLS_LAYER_PACKAGES, '@aws-lambda-powertools/tracer'] as const;

/** The tracer's import name, shipped as `node_modules/<name>` in each function's asset. */
export const TRACER_PACKAGE = '@aws-lambda-powertools/tracer';

/**
 * Shell commands that bundle the tracer and its dependencies into one CommonJS file, installed as
 * `node_modules/@aws-lambda-powertools/tracer` of the asset: `import('@aws-lambda-powertools/tracer')`
 * in the handler resolves to it at run time, so the X-Ray SDK is read from disk only when tracing
 * is on and costs the bundle nothing otherwise.
 */
export function tracerPackageCommands(inputDir: string, outputDir: string): string[] {
  const dir = path.join(outputDir, 'node_modules', ...TRACER_PACKAGE.split('/'));
  const packageJson = JSON.stringify({ name: TRACER_PACKAGE, private: true, main: './index.cjs' });
  return [
    `mkdir -p "${dir}"`,
    `cd "${inputDir}" && "${path.join(inputDir, 'node_modules', '.bin', 'esbuild')}" ${TRACER_PACKAGE} --bundle --platform=node --format=cjs --target=node24 --minify '--external:@aws-sdk/*' --log-level=warning --outfile="${path.join(dir, 'index.cjs')}"`,
    `echo '${packageJson}' > "${path.join(dir, 'package.json')}"`,
  ];
}

/** Lets CommonJS dependencies call require() in an ESM bundle. */
const REQUIRE_BANNER =
  "import { createRequire as __kpiCreateRequire } from 'node:module';const require = __kpiCreateRequire(import.meta.url);";

/**
 * Shell commands that bundle `entry` (a path from the repository root) into `outputDir/file`, minified
 * ESM for Node 24 with the same modules left out as the function's own bundle.
 */
export function lazyBundleCommands(inputDir: string, outputDir: string, file: string, entry: string): string[] {
  const externals = EXTERNAL_MODULES.map((module) => shellQuote(`--external:${module}`)).join(' ');
  return [
    `cd "${inputDir}" && "${path.join(inputDir, 'node_modules', '.bin', 'esbuild')}" "${path.join(inputDir, entry)}" --bundle --platform=node --format=esm --target=node24 --minify --main-fields=module,main ${externals} ${shellQuote(`--banner:js=${REQUIRE_BANNER}`)} --log-level=warning --outfile="${path.join(outputDir, file)}"`,
  ];
}

/** `text` as one single-quoted shell word. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", "'\\''")}'`;
}

/** Template metadata key naming a function's entry under `functions/`, read by the local runtime. */
export const FUNCTION_ENTRY_METADATA = 'agentKpi:entry';

/**
 * A Lambda function with the pipeline's defaults set once: Node.js 24 on ARM64, active X-Ray
 * tracing, a CDK-managed log group with retention, JSON logs, minified ESM bundling with the AWS
 * SDK v3 and the Powertools logger and metrics left to the stack's runtime-libraries layer and the
 * tracer loaded on demand, and a source map beside the code that
 * is read only when an error's stack is printed (`src/runtime/source-maps.ts`), never at cold start.
 *
 * The `bind*` helpers each add exactly one environment variable and one narrow grant, so the
 * environment a handler validates at cold start and the permissions it holds never drift apart.
 *
 * @example
 * const fn = new KpiFunction(this, 'Compute', { entry: 'compute', description: '...', serviceName: 'compute' });
 * fn.bindTable('VALUES_TABLE', tables.values, 'readWrite');
 */
export class KpiFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly logGroup: LogGroup;
  readonly role: ServiceRole;
  /** Powertools service name, the `service` dimension of its metrics. */
  readonly serviceName: string;

  constructor(scope: Construct, id: string, props: KpiFunctionProps) {
    super(scope, id);
    this.serviceName = props.serviceName;
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      // Logs are operational data; keeping them after a stack delete would orphan cost.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: it may write to its own log group only.
    this.role = new ServiceRole(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of ${props.entry}`,
    });
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [this.logGroup.logGroupArn],
      }),
    );
    const invocation = props.invocation;
    this.fn = new NodejsFunction(this, 'Function', {
      role: this.role,
      ...(invocation.kind === 'asynchronous' ? { deadLetterQueue: invocation.deadLetterQueue } : {}),
      entry: path.join(functionsDir, `${props.entry}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      layers: [RuntimeLibrariesLayer.of(this)],
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: Tracing.ACTIVE,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      projectRoot: repoRoot,
      depsLockFilePath: path.join(repoRoot, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: 'INFO',
        ...props.environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        // index.mjs.map, without the sources (stack traces need positions only); no
        // --enable-source-maps, which would read and parse it at every cold start.
        sourceMap: true,
        sourcesContent: false,
        minify: true,
        mainFields: ['module', 'main'],
        externalModules: [...EXTERNAL_MODULES],
        // Some CommonJS dependencies call require(); give ESM bundles one.
        banner: REQUIRE_BANNER,
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) => [
            ...tracerPackageCommands(inputDir, outputDir),
            ...Object.entries(props.bundledFiles ?? {}).map(
              ([file, content]) =>
                `mkdir -p "${path.dirname(path.join(outputDir, file))}" && printf '%s' ${shellQuote(content)} > "${path.join(outputDir, file)}"`,
            ),
            ...(props.copiedFiles ?? []).map((file) => {
              const { from, to } = typeof file === 'string' ? { from: file, to: path.basename(file) } : file;
              return `mkdir -p "${path.dirname(path.join(outputDir, to))}" && cp "${path.join(inputDir, from)}" "${path.join(outputDir, to)}"`;
            }),
            ...Object.entries(props.lazyBundles ?? {}).flatMap(([file, entry]) =>
              lazyBundleCommands(inputDir, outputDir, file, entry),
            ),
          ],
        },
      },
      ...(props.reservedConcurrency ? { reservedConcurrentExecutions: props.reservedConcurrency } : {}),
      ...props.overrides,
    });
    // The local runtime finds the handler module of each synthesized function through this.
    (this.fn.node.defaultChild as CfnFunction).addMetadata(FUNCTION_ENTRY_METADATA, props.entry);
    // Active tracing's X-Ray statement (on `*`, the only way X-Ray grants it) went to the role's
    // Tracing policy, acknowledged there alone: a wildcard granted later is still reported.
    if (invocation.kind === 'synchronous') {
      const reason = `Invoked synchronously by ${invocation.caller}, which receives and handles the error; Lambda keeps no event to dead-letter.`;
      acknowledge(this, 'Serverless-LambdaDLQ', reason);
      acknowledge(this, 'Serverless-LambdaAsyncFailureDestination', reason);
    }
  }

  /** Adds an environment variable. Prefer the bind helpers, which also grant access. */
  addEnvironment(name: string, value: string): this {
    this.fn.addEnvironment(name, value);
    return this;
  }

  /** The function as a grantee, for grants the helpers below do not cover. */
  get grantPrincipal(): IGrantable['grantPrincipal'] {
    return this.fn.grantPrincipal;
  }

  /** Table name in `envName`, with read or read/write data access (never table administration). */
  bindTable(envName: string, table: ITableV2, access: 'read' | 'readWrite' | 'write'): this {
    this.fn.addEnvironment(envName, table.tableName);
    if (hasSecondaryIndexes(table)) {
      acknowledgeWildcardResource(
        this,
        `${table.tableArn}/index/*`,
        `Queries the secondary indexes of the ${envName} table, and nothing else.`,
      );
    }
    if (access === 'read') table.grantReadData(this.fn);
    else if (access === 'write') table.grantWriteData(this.fn);
    else table.grantReadWriteData(this.fn);
    return this;
  }

  /**
   * Table name in `envName`, with one grant: `actions` on the items whose partition key matches one
   * of `leadingKeys` (IAM `StringLike` patterns, e.g. `APPROVAL#*`), on the table itself (not its
   * indexes), and nothing else of it. Scan is not an item action: a Scan names no partition key, so
   * a `ForAllValues` condition would not hold it back.
   */
  bindTableItems(
    envName: string,
    table: ITableV2,
    actions: readonly DynamoItemAction[],
    leadingKeys: readonly string[],
  ): this {
    this.fn.addEnvironment(envName, table.tableName);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        effect: Effect.ALLOW,
        actions: actions.map((action) => `dynamodb:${action}`),
        resources: [table.tableArn],
        conditions: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [...leadingKeys] } },
      }),
    );
    return this;
  }

  /**
   * What ingestion keeps of `datasets` and of nothing else. `write`: the raw, manifest and key-index
   * prefixes of the raw bucket read, listed and written, the row and file prefixes of the quarantine
   * bucket written; the state table's items of those datasets (`ingestionStateKeys`) read and
   * written. `sweep`: the same prefixes listed and objects deleted (raw read, to find what a
   * commit names), the state items read. The bucket and table names go in `RAW_BUCKET`,
   * `QUARANTINE_BUCKET` and `STATE_TABLE`.
   */
  bindDatasetStorage(
    stores: { readonly raw: IBucket; readonly quarantine: IBucket; readonly state: ITableV2 },
    datasets: readonly string[],
    access: 'write' | 'sweep' = 'write',
  ): this {
    const ids = [...new Set(datasets)].sort();
    if (ids.length === 0) throw new Error(`${this.node.path}: bindDatasetStorage needs at least one dataset`);
    const prefixes = ids.map((id) => datasetStoragePrefixes(id));
    const raw = prefixes.flatMap((p) => p.raw);
    const quarantine = prefixes.flatMap((p) => p.quarantine);
    const rawActions =
      access === 'write'
        ? ['s3:GetObject', 's3:PutObject', 's3:AbortMultipartUpload']
        : ['s3:GetObject', 's3:DeleteObject'];
    const quarantineActions = access === 'write' ? ['s3:PutObject', 's3:AbortMultipartUpload'] : ['s3:DeleteObject'];
    for (const [envName, bucket, keyPrefixes, actions, listed] of [
      ['RAW_BUCKET', stores.raw, raw, rawActions, true],
      ['QUARANTINE_BUCKET', stores.quarantine, quarantine, quarantineActions, access === 'sweep'],
    ] as const) {
      this.fn.addEnvironment(envName, bucket.bucketName);
      const objects = keyPrefixes.map((prefix) => bucket.arnForObjects(`${prefix}*`));
      this.role.addToPrincipalPolicy(new PolicyStatement({ actions: [...actions], resources: objects }));
      if (listed) {
        this.role.addToPrincipalPolicy(
          new PolicyStatement({
            actions: ['s3:ListBucket'],
            resources: [bucket.bucketArn],
            conditions: { StringLike: { 's3:prefix': keyPrefixes.map((prefix) => `${prefix}*`) } },
          }),
        );
      }
      for (const resource of objects) {
        acknowledgeWildcardResource(
          this,
          resource,
          `Object keys are generated per batch; access is limited to one prefix of one dataset this function ${access === 'write' ? 'ingests' : 'sweeps'}.`,
        );
      }
    }
    const state = ids.flatMap((id) => ingestionStateKeys(id));
    const stateActions: DynamoItemAction[] =
      access === 'write' ? [...DYNAMO_ITEM_READS, ...DYNAMO_ITEM_WRITES] : [...DYNAMO_ITEM_READS];
    return this.bindTableItems('STATE_TABLE', stores.state, stateActions, state);
  }

  /**
   * Bucket name in `envName`, with access narrowed to one key prefix: object reads and writes under
   * `prefix` only, and a listing restricted to keys under it. `prefix` ends with `/`.
   */
  bindBucket(envName: string, bucket: IBucket, access: 'read' | 'put' | 'readWrite', prefix: string): this {
    this.fn.addEnvironment(envName, bucket.bucketName);
    const objects = bucket.arnForObjects(`${prefix}*`);
    const actions: string[] = [];
    if (access !== 'put') {
      actions.push('s3:GetObject');
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['s3:ListBucket'],
          resources: [bucket.bucketArn],
          conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
        }),
      );
    }
    // AbortMultipartUpload lets a streamed upload that failed half-way clean up after itself.
    if (access !== 'read') actions.push('s3:PutObject', 's3:AbortMultipartUpload');
    this.role.addToPrincipalPolicy(new PolicyStatement({ actions, resources: [objects] }));
    acknowledgeWildcardResource(
      this,
      objects,
      `Object keys are generated per batch; access is limited to the ${prefix} prefix of ${envName}.`,
    );
    return this;
  }

  /**
   * Lets the function list, read and delete the objects under `prefix` of a bucket it is already
   * bound to (the raw store's sweeper): no environment variable, no put.
   */
  grantBucketSweep(bucket: IBucket, prefix: string, envName: string): this {
    const objects = bucket.arnForObjects(`${prefix}*`);
    this.role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:ListBucket'],
        resources: [bucket.bucketArn],
        conditions: { StringLike: { 's3:prefix': [`${prefix}*`] } },
      }),
    );
    this.role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['s3:GetObject', 's3:DeleteObject'], resources: [objects] }),
    );
    acknowledgeWildcardResource(
      this,
      objects,
      `Deletes objects no commit names under the ${prefix} prefix of ${envName}; their keys are generated per batch.`,
    );
    return this;
  }

  /** Topic ARN in `envName`, with publish rights on that topic only. */
  bindTopic(envName: string, topic: ITopic): this {
    this.fn.addEnvironment(envName, topic.topicArn);
    topic.grantPublish(this.fn);
    return this;
  }

  /** Queue URL in `envName`, with send rights on that queue only. */
  bindQueue(envName: string, queue: IQueue): this {
    this.fn.addEnvironment(envName, queue.queueUrl);
    queue.grantSendMessages(this.fn);
    return this;
  }

  /**
   * Secret ARN in `envName`, with read access (GetSecretValue, DescribeSecret) to that secret only;
   * `rotate` adds what a rotation function needs on it: PutSecretValue and UpdateSecretVersionStage.
   */
  bindSecret(envName: string, secret: ISecret, access: 'read' | 'rotate' = 'read'): this {
    this.fn.addEnvironment(envName, secret.secretArn);
    secret.grantRead(this.role);
    if (access === 'rotate') {
      this.role.addToPrincipalPolicy(
        new PolicyStatement({
          actions: ['secretsmanager:PutSecretValue', 'secretsmanager:UpdateSecretVersionStage'],
          resources: [secret.secretArn],
        }),
      );
    }
    return this;
  }

  /** Key ARN in `envName`, with the narrow use named by `access`. */
  bindKey(envName: string, key: IKey, access: 'encryptDecrypt' | 'decrypt'): this {
    this.fn.addEnvironment(envName, key.keyArn);
    if (access === 'decrypt') key.grantDecrypt(this.fn);
    else key.grantEncryptDecrypt(this.fn);
    return this;
  }

  /** State machine ARN in `envName`, with the given narrow right. */
  bindStateMachine(envName: string, stateMachine: IStateMachine, access: 'start' | 'taskResponse'): this {
    this.fn.addEnvironment(envName, stateMachine.stateMachineArn);
    if (access === 'start') stateMachine.grantStartExecution(this.fn);
    else stateMachine.grantTaskResponse(this.fn);
    return this;
  }

  /** Function name in `envName`, with invoke rights on that function only. */
  bindFunction(envName: string, target: IFunction): this {
    this.fn.addEnvironment(envName, target.functionName);
    target.grantInvoke(this.fn);
    return this;
  }
}
