import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Queue } from 'aws-cdk-lib/aws-sqs';
import { beforeAll, describe, expect, it } from 'vitest';
import { declarationsAsJson, readDatasetCatalog } from '../../lib/constructs/ingestion/catalog';
import { HttpPullIngestion } from '../../lib/constructs/ingestion/http-pull-ingestion';
import { PipelineResources } from '../../lib/stacks/resources';
import { loadDatasetCatalog } from '../../src/adapters/local/dataset-files';
import type { DatasetDeclarationInput } from '../../src/domain/dataset';
import { validateDatasetDeclaration } from '../../src/domain/dataset';
import { rolePolicies, type SynthesizedApp, synthesizeApp } from './app-synth';

let app: SynthesizedApp;

beforeAll(() => {
  app = synthesizeApp();
});

type Statement = { Action: string | string[]; Resource: unknown; Effect: string };

/** Every statement of the policies attached to the role of the function with `entry`. */
function statementsOf(template: Template, entry: string): Statement[] {
  const functions = template.findResources('AWS::Lambda::Function', { Metadata: { 'agentKpi:entry': entry } });
  const [fn] = Object.values(functions);
  if (!fn) throw new Error(`no function ${entry}`);
  const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(rolePolicies(template))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

const actions = (s: Statement) => ([] as string[]).concat(s.Action);
const text = (value: unknown) => JSON.stringify(value);

function functionOf(entry: string) {
  return Object.values(
    app.pipeline.findResources('AWS::Lambda::Function', { Metadata: { 'agentKpi:entry': entry } }),
  )[0];
}

describe('ingestion constructs', () => {
  it('gives the drop zone function 1024 MB, 15 minutes, the declarations folder and the code version', () => {
    const fn = functionOf('ingest-drop-zone');
    expect(fn?.Properties).toMatchObject({ MemorySize: 1024, Timeout: 900 });
    expect(fn?.Properties.Environment.Variables).toMatchObject({
      DATASETS_DIR: 'kpis/datasets',
      CODE_VERSION: expect.stringMatching(/^\d+\.\d+\.\d+/),
      STATE_TABLE: expect.anything(),
      LANDING_BUCKET: expect.anything(),
    });
  });

  it('lets the drop zone read landing/, key indexes, manifests and quarantine (replay), and never delete anything', () => {
    const statements = statementsOf(app.pipeline, 'ingest-drop-zone').filter((s) =>
      actions(s).some((a) => a.startsWith('s3:')),
    );
    const reads = statements
      .filter((s) => actions(s).includes('s3:GetObject'))
      .flatMap((s) => ([] as unknown[]).concat(s.Resource).map(text));
    expect(reads.filter((r) => r.includes('landing'))).toEqual([expect.stringContaining('/landing/*')]);
    expect(reads.some((r) => r.includes('/raw/_keys/dataset=ad_performance/*'))).toBe(true);
    // `kpi replay`: the quarantined rows, found through the batch manifests.
    expect(reads.some((r) => r.includes('/quarantine/*'))).toBe(true);
    expect(reads.some((r) => r.includes('/raw/_manifests/*'))).toBe(true);
    expect(statements.flatMap(actions).filter((a) => /Delete|\*/.test(a))).toEqual([]);
  });

  it('lets every connector query the dataset pointers of the definitions table, and nothing else of it', () => {
    for (const entry of ['ingest-drop-zone', 'ingest-http', 'ingest-telemetry']) {
      const onDefinitions = statementsOf(app.pipeline, entry).filter((s) => text(s).includes('definitions'));
      expect(onDefinitions).toHaveLength(1);
      expect(onDefinitions[0]).toMatchObject({
        Action: 'dynamodb:Query',
        Condition: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['DATASET#active', 'DATASET#retired'] } },
      });
      expect(text(onDefinitions[0]?.Resource)).toContain('/index/gsi1');
      expect(functionOf(entry)?.Properties.Environment.Variables.DEFINITIONS_TABLE).toBeDefined();
    }
  });

  it('gives the drop zone scratch space for records spilled by hour', () => {
    expect(functionOf('ingest-drop-zone')?.Properties.EphemeralStorage).toEqual({ Size: 10_240 });
    expect(functionOf('ingest-drop-zone')?.Properties.Environment.Variables.SPILL_DIR).toBe('/tmp');
  });

  it('bounds the memory glibc keeps in per-thread arenas in every ingestion function', () => {
    for (const name of ['ingest-drop-zone', 'ingest-http', 'ingest-telemetry']) {
      expect(functionOf(name)?.Properties.Environment.Variables.MALLOC_ARENA_MAX).toBe('2');
    }
  });

  it('lets the sweeper delete under raw/ and quarantine/ and put only its reports', () => {
    const statements = statementsOf(app.pipeline, 'sweep-raw-store').filter((s) =>
      actions(s).some((a) => a.startsWith('s3:')),
    );
    const resources = (action: string) =>
      statements
        .filter((s) => actions(s).includes(action))
        .flatMap((s) => ([] as unknown[]).concat(s.Resource).map(text))
        .sort();
    expect(resources('s3:DeleteObject')).toEqual([
      expect.stringMatching(/quarantine-.*\/quarantine\/\*/),
      expect.stringMatching(/raw-.*\/raw\/\*/),
    ]);
    expect(resources('s3:PutObject')).toEqual([expect.stringContaining('/raw/_sweeps/*')]);
    app.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(1 day)',
      Target: Match.objectLike({ Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionSweeper'), 'Arn'] } }),
    });
  });

  it('runs the drop zone on its schedule with retries and a dead-letter queue', () => {
    app.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(5 minutes)',
      Target: Match.objectLike({
        Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionDropZoneFunction'), 'Arn'] },
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionDeadLetters'), 'Arn'] } },
      }),
    });
  });

  it('sends failed asynchronous runs of the scheduled connectors to the dead-letter queue', () => {
    for (const entry of ['ingest-drop-zone', 'ingest-http']) {
      expect(text(functionOf(entry)?.Properties.DeadLetterConfig), entry).toMatch(/IngestionDeadLetters/);
    }
  });

  it('serves telemetry from a function URL whose handler checks signatures, with the agent keys secret', () => {
    app.pipeline.hasResourceProperties('AWS::Lambda::Url', {
      AuthType: 'NONE',
      TargetFunctionArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^IngestionTelemetryFunction'), 'Arn'] },
    });
    expect(functionOf('ingest-telemetry')?.Properties.Environment.Variables.AGENT_KEYS_SECRET).toEqual({
      Ref: expect.stringMatching(/^IngestionTelemetryAgentKeys/),
    });
    const secretReads = statementsOf(app.pipeline, 'ingest-telemetry').filter((s) =>
      actions(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(secretReads.map((s) => text(s.Resource))).toEqual([expect.stringMatching(/IngestionTelemetryAgentKeys/)]);
  });

  it('schedules one pull per dataset with an HTTP source, and grants its named secret only', () => {
    // No bundling: the template is what is asserted.
    const stack = new Stack(
      new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }),
      'Http',
    );
    const resources = new PipelineResources(stack, 'Resources', 'Test');
    const declaration: DatasetDeclarationInput = {
      id: 'crm_leads',
      description: 'Leads',
      owner: 'crm@example.com',
      format: { type: 'json' },
      fields: { id: { type: 'string' }, updated_at: { type: 'timestamp' } },
      eventTime: 'updated_at',
      ingestion: {
        http: {
          url: 'https://crm.example.com/v1/leads',
          schedule: 'rate(30 minutes)',
          pagination: { kind: 'cursor', param: 'cursor', nextPath: 'next' },
          auth: { secretName: 'crm/api-token' },
        },
      },
    };
    new HttpPullIngestion(stack, 'HttpPull', {
      ...resources,
      logRetention: RetentionDays.ONE_WEEK,
      datasetsFolder: 'kpis/datasets',
      declarationFiles: { 'kpis/datasets/crm_leads.json': JSON.stringify(declaration) },
      codeVersion: '0.0.0',
      datasets: [validateDatasetDeclaration(declaration, 'crm_leads.yaml')],
      deadLetterQueue: new Queue(stack, 'Dlq'),
    });
    const template = Template.fromStack(stack);
    template.resourceCountIs('AWS::Scheduler::Schedule', 1);
    template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'rate(30 minutes)',
      Target: Match.objectLike({ Input: '{"dataset":"crm_leads"}' }),
    });
    const secretReads = statementsOf(template, 'ingest-http').filter((s) =>
      actions(s).includes('secretsmanager:GetSecretValue'),
    );
    expect(secretReads.map((s) => text(s.Resource))).toEqual([expect.stringContaining('secret:crm/api-token-??????')]);
  });

  it('fails the synth on an invalid declaration, naming the file and the problem', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'catalog-'));
    try {
      writeFileSync(path.join(dir, 'leads.yaml'), 'id: Leads\n');
      expect(() => readDatasetCatalog(dir)).toThrow(/leads\.yaml: [\s\S]*id: must be lowercase/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives the functions the declarations as JSON that loads to the same datasets as the YAML', async () => {
    const files = declarationsAsJson(path.resolve('kpis/datasets'), 'kpis/datasets');
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-json-'));
    try {
      for (const [file, text] of Object.entries(files)) {
        expect(file).toMatch(/^kpis\/datasets\/[a-z_]+\.json$/);
        writeFileSync(path.join(dir, path.basename(file)), text);
      }
      const fromJson = await loadDatasetCatalog(dir);
      const fromYaml = await loadDatasetCatalog(path.resolve('kpis/datasets'));
      expect([...fromJson.keys()]).toEqual([...fromYaml.keys()]);
      expect(fromJson.size).toBeGreaterThan(0);
      for (const [id, loaded] of fromYaml) expect(fromJson.get(id)?.declaration).toEqual(loaded.declaration);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses to carry a declaration holding a value JSON cannot represent, naming the file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'agent-kpi-json-'));
    try {
      writeFileSync(path.join(dir, 'leads.yaml'), 'id: leads\nlimit: .inf\n');
      expect(() => declarationsAsJson(dir, 'kpis/datasets')).toThrow(
        /leads\.yaml: holds a value JSON cannot represent/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lets the compute function query the raw commit log and the late-data marks of the state table, and nothing else of it', () => {
    const onState = statementsOf(app.pipeline, 'compute').filter((s) =>
      text(s.Resource).includes(':table/AgentKpi-state'),
    );
    expect(onState).toEqual([
      expect.objectContaining({
        Effect: 'Allow',
        Action: 'dynamodb:Query',
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['COMMITS#*', 'RECOMPUTE#*'] } },
      }),
    ]);
    expect(functionOf('compute')?.Properties.Environment.Variables.STATE_TABLE).toBeDefined();
  });
});
