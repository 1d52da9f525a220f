// Least privilege as synthesized: the public approval page, the append-only audit trail, and each
// ingestion function confined to the datasets it serves (the governance dataset to the guardrail
// stage alone).
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { App, Stack } from 'aws-cdk-lib';
import { Key } from 'aws-cdk-lib/aws-kms';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Ingestion } from '../../lib/constructs/ingestion/ingestion';
import { PipelineResources } from '../../lib/stacks/resources';
import { datasetStoragePrefixes, ingestionStateKeys } from '../../src/contracts/dataset-ownership';
import { commitLogPartition } from '../../src/contracts/raw-layout';
import {
  actionsOf,
  type PolicyStatementJson,
  rolePolicies,
  type SynthesizedApp,
  statementsOfFunction,
  synthesizeApp,
} from './app-synth';

let app: SynthesizedApp;

beforeAll(() => {
  app = synthesizeApp();
});

const text = (value: unknown) => JSON.stringify(value);
const onTable = (statements: PolicyStatementJson[], table: string) =>
  statements.filter((s) => text(s.Resource).includes(`:table/AgentKpi-${table}`));
/** A resource as text, its tokens written `<Ref>`: `arn:<Ref>:s3:::agentkpi-raw-<Ref>-<Ref>/raw/...`. */
function flatten(resource: unknown): string {
  if (typeof resource === 'string') return resource;
  const join = (resource as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  return join ? join[1].map(flatten).join(join[0]) : '<Ref>';
}
/** Object key patterns the statements grant `action` on, as `<bucket role>:<key pattern>`, sorted. */
function objectGrants(statements: PolicyStatementJson[], action: string): string[] {
  return statements
    .filter((s) => actionsOf(s).includes(action))
    .flatMap((s) => [s.Resource].flat().map(flatten))
    .map((arn) => {
      const match = /:s3:::agentkpi-(\w+)-<Ref>-<Ref>\/(.+)$/.exec(arn);
      return match ? `${match[1]}:${match[2]}` : arn;
    })
    .sort();
}
const GUARDRAIL_ENTRIES = ['guardrail-intake', 'approval-steps', 'approval-page'];
const INGESTION_ENTRIES = ['ingest-drop-zone', 'ingest-http', 'ingest-telemetry'];
/** The freshness check writes its records into pipeline_ingest, and no other dataset (freshness-check.test.ts). */
const FRESHNESS_ENTRIES = ['check-freshness'];
/** The review functions record their events in the audit trail, so in the governance dataset too (one builder per kind). */
const REVIEW_ENTRIES = ['review-pack', 'review-pack', 'review-page'];

describe('the approval page', () => {
  it('may read an approval and update it, on approval items only: no put, no delete, no scan', () => {
    expect(onTable(statementsOfFunction(app.pipeline, 'approval-page'), 'approvals')).toEqual([
      {
        Effect: 'Allow',
        Action: ['dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
        Resource: expect.anything(),
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['APPROVAL#*'] } },
      },
    ]);
  });

  it('reaches the approvals table itself, never its indexes', () => {
    for (const statement of onTable(statementsOfFunction(app.pipeline, 'approval-page'), 'approvals')) {
      expect(text(statement.Resource)).not.toContain('/index/');
    }
  });
});

describe('the audit trail', () => {
  it('is appended to by the guardrail functions with put and get only, on event items', () => {
    for (const entry of GUARDRAIL_ENTRIES) {
      expect(onTable(statementsOfFunction(app.pipeline, entry), 'audit'), entry).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:GetItem', 'dynamodb:PutItem'],
          Resource: expect.anything(),
          Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['EVENT#*', 'KPI#*'] } },
        },
      ]);
    }
  });

  it('cannot be updated or deleted by any role of the stack', () => {
    const writes = Object.values(rolePolicies(app.pipeline))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as PolicyStatementJson[])
      .filter((s) => text(s.Resource).includes(':table/AgentKpi-audit'))
      .flatMap(actionsOf)
      .filter((a) => /UpdateItem|DeleteItem|BatchWriteItem|PartiQL|\*/.test(a));
    expect(writes).toEqual([]);
  });
});

describe('ingestion', () => {
  it('lets the drop zone write the prefixes of the datasets it serves and of pipeline_ingest, and nothing else', () => {
    const served = [
      'ad_performance',
      'agent_events',
      'content_events',
      'crm_leads',
      'crm_opportunities',
      'pipeline_ingest',
      'web_sessions',
    ];
    const expected = served
      .flatMap((id) => {
        const { raw, quarantine } = datasetStoragePrefixes(id);
        return [...raw.map((p) => `raw:${p}*`), ...quarantine.map((p) => `quarantine:${p}*`)];
      })
      .sort();
    expect(objectGrants(statementsOfFunction(app.pipeline, 'ingest-drop-zone'), 's3:PutObject')).toEqual(expected);
  });

  it('lets the telemetry endpoint write the datasets that accept pushes and pipeline_ingest only', () => {
    const puts = objectGrants(statementsOfFunction(app.pipeline, 'ingest-telemetry'), 's3:PutObject');
    expect(puts).toHaveLength(10);
    expect(new Set(puts.map((p) => /dataset=(\w+)\//.exec(p)?.[1]))).toEqual(
      new Set(['agent_events', 'pipeline_ingest']),
    );
  });

  it('lets no ingestion function write the governance dataset, and the guardrail functions write nothing else of raw', () => {
    for (const entry of INGESTION_ENTRIES) {
      expect(text(statementsOfFunction(app.pipeline, entry)), entry).not.toContain('pipeline_governance');
    }
    for (const entry of GUARDRAIL_ENTRIES) {
      expect(objectGrants(statementsOfFunction(app.pipeline, entry), 's3:PutObject'), entry).toEqual([
        'raw:raw/_manifests/dataset=pipeline_governance/*',
        'raw:raw/dataset=pipeline_governance/*',
      ]);
    }
  });

  it("lets the guardrail functions commit the governance dataset's records, and touch no other state item", () => {
    for (const entry of GUARDRAIL_ENTRIES) {
      expect(onTable(statementsOfFunction(app.pipeline, entry), 'state'), entry).toEqual([
        {
          Effect: 'Allow',
          Action: ['dynamodb:PutItem', 'dynamodb:Query'],
          Resource: expect.anything(),
          Condition: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [commitLogPartition('pipeline_governance')] },
          },
        },
      ]);
    }
  });

  it('grants the partition keys the ledger and the commit log write, and none of another dataset', () => {
    // IAM StringLike: `*` matches any run of characters.
    const matches = (pattern: string, key: string) =>
      new RegExp(
        `^${pattern
          .split('*')
          .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
          .join('.*')}$`,
      ).test(key);
    const granted = ingestionStateKeys('ad');
    for (const key of [commitLogPartition('ad'), 'INGEST#ad', 'RECOMPUTE#ad', 'WATERMARK#ad', 'SOURCE#ad']) {
      expect(
        granted.some((pattern) => matches(pattern, key)),
        key,
      ).toBe(true);
    }
    for (const key of [commitLogPartition('ad_performance'), 'INGEST#ad_performance', 'SOURCE#adx']) {
      expect(
        granted.some((pattern) => matches(pattern, key)),
        key,
      ).toBe(false);
    }
  });

  it('writes no dataset prefix from any other function of the stack', () => {
    const entries = Object.values(app.pipeline.findResources('AWS::Lambda::Function')).map(
      (fn) => fn.Metadata['agentKpi:entry'] as string,
    );
    const writers = entries.filter((entry) =>
      objectGrants(statementsOfFunction(app.pipeline, entry), 's3:PutObject').some((g) => g.includes('dataset=')),
    );
    expect(writers.sort()).toEqual(
      [...GUARDRAIL_ENTRIES, ...INGESTION_ENTRIES, ...FRESHNESS_ENTRIES, ...REVIEW_ENTRIES].sort(),
    );
  });

  it('confines each ingestion function to the state items of its own datasets, without scans', () => {
    const expectations: Record<string, string[]> = {
      'ingest-telemetry': ['agent_events', 'pipeline_ingest'],
      'ingest-http': ['pipeline_ingest'],
    };
    for (const [entry, datasets] of Object.entries(expectations)) {
      const [statement, ...others] = onTable(statementsOfFunction(app.pipeline, entry), 'state');
      expect(others, entry).toEqual([]);
      expect(statement?.Condition, entry).toEqual({
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': datasets.flatMap((id) => ingestionStateKeys(id)) },
      });
      expect(
        actionsOf(statement as PolicyStatementJson).filter((a) => /Scan|\*/.test(a)),
        entry,
      ).toEqual([]);
    }
  });

  it('stops the synth when a declaration lets a connector write the governance dataset', () => {
    const folder = path.join('test', 'artifacts', 'owned-datasets');
    const dir = path.resolve(import.meta.dirname, '..', '..', folder);
    mkdirSync(dir, { recursive: true });
    try {
      writeFileSync(
        path.join(dir, 'pipeline_governance.yaml'),
        [
          'id: pipeline_governance',
          'description: forged audit history',
          'owner: someone@example.com',
          'format: { type: ndjson }',
          'fields:',
          '  occurred_at: { type: timestamp, format: epoch_millis }',
          'eventTime: occurred_at',
        ].join('\n'),
      );
      const stack = new Stack(
        new App({ context: { 'aws:cdk:bundling-stacks': [] }, builtinCloudFormationValidation: false }),
        'Owned',
      );
      const { buckets, tables } = new PipelineResources(stack, 'Resources', 'Test');
      expect(
        () =>
          new Ingestion(stack, 'Ingestion', {
            buckets,
            tables,
            logRetention: RetentionDays.ONE_WEEK,
            messagingKey: new Key(stack, 'Key'),
            dropZoneSchedule: 'rate(5 minutes)',
            sweep: { schedule: 'rate(1 day)', graceHours: 24, supersededRetentionDays: 30 },
            datasetsFolder: folder,
          }),
      ).toThrow(/pipeline_governance: it is written by the guardrails stage only[\s\S]*dropZone/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
