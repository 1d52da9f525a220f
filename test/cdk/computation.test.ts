// The compute stage as synthesized: the backfill state machine fans a range out over raw
// partitions with a Distributed Map reading its item list from S3, then finalizes the chunks or the
// refresh; its role reads only the item lists, starts only its own child executions and invokes
// only the compute function, which may start only that state machine.
import { beforeAll, describe, expect, it } from 'vitest';
import {
  actionsOf,
  type PolicyStatementJson,
  rolePolicies,
  type SynthesizedApp,
  statementsOfFunction,
  synthesizeApp,
} from './app-synth';

interface Asl {
  StartAt: string;
  States: Record<string, Record<string, unknown> & { ItemProcessor?: Asl & { ProcessorConfig?: unknown } }>;
}

let app: SynthesizedApp;
let asl: Asl;

/** A value of the template as text, its tokens written `<Ref>`. */
function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map(flatten).join(join[0]) : '<Ref>';
}

function backfillOf(built: SynthesizedApp): { definition: Asl; role: string } {
  const machines = built.pipeline.findResources('AWS::StepFunctions::StateMachine');
  const [entry] = Object.entries(machines).filter(([id]) => id.startsWith('ComputationBackfill'));
  if (!entry) throw new Error('no backfill state machine');
  const properties = entry[1].Properties;
  return {
    definition: JSON.parse(flatten(properties.DefinitionString)) as Asl,
    role: (properties.RoleArn as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0] as string,
  };
}

function statementsOfRole(built: SynthesizedApp, role: string): PolicyStatementJson[] {
  return Object.values(rolePolicies(built.pipeline))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

beforeAll(() => {
  app = synthesizeApp();
  asl = backfillOf(app).definition;
});

describe('the backfill state machine', () => {
  it('plans first, then maps over the parts only when the plan fanned out, then finalizes', () => {
    expect(asl.StartAt).toBe('PlanParts');
    expect(asl.States.PlanParts).toMatchObject({
      Type: 'Task',
      ResultPath: '$.plan',
      Parameters: {
        'kpiId.$': '$.kpiId',
        'from.$': '$.from',
        'to.$': '$.to',
        planParts: { 'name.$': '$$.Execution.Name' },
      },
      Next: 'FannedOut',
    });
    expect(asl.States.FannedOut).toMatchObject({
      Type: 'Choice',
      Choices: [{ Variable: '$.plan.fannedOut', BooleanEquals: true, Next: 'EachPart' }],
      Default: 'RefreshOrChunks',
    });
    expect(asl.States.EachPart?.Next).toBe('RefreshOrChunks');
    expect(asl.States.RefreshOrChunks).toMatchObject({
      Choices: [{ Variable: '$.scheduledTime', IsPresent: true, Next: 'Refresh' }],
      Default: 'EachChunk',
    });
  });

  it('maps over the parts with a Distributed Map reading the item list from S3, 40 parts at once', () => {
    expect(asl.States.EachPart).toMatchObject({
      Type: 'Map',
      ItemReader: {
        Resource: 'arn:<Ref>:states:::s3:getObject',
        ReaderConfig: { InputType: 'JSON' },
        Parameters: { 'Bucket.$': '$.plan.items.bucket', 'Key.$': '$.plan.items.key' },
      },
      ItemSelector: { 'kpiId.$': '$.kpiId', 'from.$': '$.from', 'to.$': '$.to', 'part.$': '$$.Map.Item.Value' },
      MaxConcurrency: 40,
      ResultPath: null,
      ItemProcessor: { ProcessorConfig: { Mode: 'DISTRIBUTED', ExecutionType: 'STANDARD' }, StartAt: 'ComputePart' },
    });
    const part = asl.States.EachPart?.ItemProcessor?.States.ComputePart as { Retry: { ErrorEquals: string[] }[] };
    expect(part.Retry[0]?.ErrorEquals).toContain('Lambda.Unknown');
    expect(part).toMatchObject({ ResultSelector: { 'aggregated.$': '$.partitions.aggregated' } });
  });

  it('finalizes each chunk from what the parts kept, and a handed-on refresh as a refresh that never hands on', () => {
    expect(asl.States.EachChunk).toMatchObject({
      Type: 'Map',
      MaxConcurrency: 4,
      ItemSelector: expect.objectContaining({ 'takeParts.$': '$.plan.fannedOut' }),
    });
    expect(asl.States.Refresh).toMatchObject({
      Parameters: { 'kpiId.$': '$.kpiId', 'scheduledTime.$': '$.scheduledTime', takeParts: true },
    });
  });

  it('takes the parts per invocation, the concurrency and the refresh threshold from the deployment configuration', () => {
    const configured = synthesizeApp({
      agentKpiPipeline: { fanOut: { partitionsPerPart: 12, maxConcurrency: 7, refreshThresholdRecords: 30 } },
    });
    expect(backfillOf(configured).definition.States.EachPart?.MaxConcurrency).toBe(7);
    configured.pipeline.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: { FANOUT_PARTITIONS_PER_PART: '12', FANOUT_REFRESH_THRESHOLD_RECORDS: '30' } },
    });
  });
});

describe('grants of the fan-out', () => {
  it('lets the backfill read the item lists under fanout/ of the work bucket and nothing else of it', () => {
    const statements = statementsOfRole(app, backfillOf(app).role);
    const s3 = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('s3:')));
    expect(s3.map((s) => [actionsOf(s), [s.Resource].flat().map(flatten)])).toEqual([
      [['s3:GetObject'], ['arn:<Ref>:s3:::agentkpi-work-<Ref>-<Ref>/fanout/*']],
    ]);
  });

  it('lets the backfill start, stop and redrive only its own child executions, and invoke only the compute function', () => {
    const statements = statementsOfRole(app, backfillOf(app).role);
    const states = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(states.flatMap(actionsOf).sort()).toEqual([
      'states:DescribeExecution',
      'states:RedriveExecution',
      'states:StartExecution',
      'states:StopExecution',
    ]);
    for (const statement of states) expect(JSON.stringify(statement.Resource)).toContain('"Ref":"ComputationBackfill');
    const invoke = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('lambda:')));
    expect(invoke.flatMap(actionsOf)).toEqual(['lambda:InvokeFunction']);
    for (const resource of invoke.flatMap((s) => [s.Resource].flat())) {
      expect(JSON.stringify(resource)).toContain('ComputationComputeFunction');
    }
  });

  it('lets the compute function start the backfill state machine by name and keep objects under fanout/', () => {
    const statements = statementsOfFunction(app.pipeline, 'compute');
    const start = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('states:')));
    expect(start).toEqual([
      {
        Effect: 'Allow',
        Action: 'states:StartExecution',
        Resource: expect.anything(),
      },
    ]);
    expect(flatten(start[0]?.Resource)).toBe('arn:<Ref>:states:<Ref>:<Ref>:stateMachine:AgentKpi-kpi-backfill');
    const fanOut = statements.filter((s) => [s.Resource].flat().some((r) => flatten(r).endsWith('/fanout/*')));
    expect(fanOut.flatMap(actionsOf).sort()).toEqual(['s3:AbortMultipartUpload', 's3:GetObject', 's3:PutObject']);
  });

  it('expires the fan-out objects of the work bucket after a week', () => {
    const buckets = Object.values(app.stateful.findResources('AWS::S3::Bucket'));
    const work = buckets.find((b) => JSON.stringify(b.Properties.BucketName).includes('agentkpi-work-'));
    expect(work?.Properties.LifecycleConfiguration.Rules).toContainEqual({
      Id: 'expire-fan-out',
      Prefix: 'fanout/',
      ExpirationInDays: 7,
      Status: 'Enabled',
    });
  });
});
