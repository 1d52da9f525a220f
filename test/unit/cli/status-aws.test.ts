// `kpi status --aws`: the deployed stacks found through `cdk deploy --outputs-file` and the stack
// prefix, read through the real SDK clients (here pointed at an in-process DynamoDB, as the
// AWS_ENDPOINT_URL_DYNAMODB variable points any SDK client).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import dynalite from 'dynalite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoDbApprovalStore } from '../../../src/adapters/aws/dynamodb-approval-store';
import { DynamoDbKpiValueStore } from '../../../src/adapters/aws/dynamodb-kpi-value-store';
import { DynamoDbReviewStore } from '../../../src/adapters/aws/dynamodb-review-store';
import { kpiDefinitionStore, storedDefinition } from '../../../src/adapters/aws/kpi-definitions';
import { main } from '../../../src/cli/main';
import { readDefinitionFiles } from '../../../src/contracts/kpi-definition-files';
import { closeServer, listenOnLoopback } from '../../../src/local/loopback-http';
import { REPO_ROOT } from '../../support/cli';
import { actionItem, storedPoint } from '../../support/review-fixtures';
import { violation } from '../../support/violations';

const PREFIX = 'Acme';
const NOW = Date.parse('2026-11-25T12:00:00Z');
const variables = ['AWS_ENDPOINT_URL_DYNAMODB', 'AWS_REGION', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY'] as const;
const saved = Object.fromEntries(variables.map((v) => [v, process.env[v]]));
let server: Server;
let dir: string;

async function createTable(client: DynamoDBClient, role: string) {
  await client.send(
    new CreateTableCommand({
      TableName: `${PREFIX}-${role}`,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: ['pk', 'sk', 'gsi1pk', 'gsi1sk'].map((name) => ({
        AttributeName: name,
        AttributeType: 'S',
      })),
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: 'gsi1',
          KeySchema: [
            { AttributeName: 'gsi1pk', KeyType: 'HASH' },
            { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'ALL' },
        },
      ],
    }),
  );
}

beforeAll(async () => {
  server = dynalite({ createTableMs: 0 });
  const port = await listenOnLoopback(server);
  Object.assign(process.env, {
    AWS_ENDPOINT_URL_DYNAMODB: `http://127.0.0.1:${port}`,
    AWS_REGION: 'eu-west-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  const client = new DynamoDBClient({});
  for (const role of ['definitions', 'values', 'approvals', 'reviews']) await createTable(client, role);
  const dynamodb = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });

  const files = readDefinitionFiles([path.join(REPO_ROOT, 'kpis', 'definitions')]).definitions;
  const definitions = kpiDefinitionStore(dynamodb, `${PREFIX}-definitions`, { now: () => NOW - 30 * 86_400_000 });
  for (const id of ['sla_adherence', 'cac', 'ctr']) {
    const file = files.find((f) => f.definition.id === id);
    if (file) await definitions.publish(storedDefinition(file.definition), { author: 'ops', reason: 'first' });
  }
  const values = new DynamoDbKpiValueStore({ client: dynamodb, tableName: `${PREFIX}-values` });
  const asWritten = ({ revision: _r, fingerprint: _f, restatements: _s, ...value }: ReturnType<typeof storedPoint>) =>
    value;
  await values.write(
    [
      storedPoint('sla_adherence', { day: '2026-11-22', value: 0.97 }),
      storedPoint('sla_adherence', { day: '2026-11-23', value: 0.9, status: 'yellow', drift: true }),
      storedPoint('sla_adherence', { day: '2026-11-24', value: 0.62, status: 'red', drift: true }),
      storedPoint('sla_adherence', { day: '2026-11-25', value: 0.7, status: 'red', provisional: true }),
      storedPoint('ctr', { day: '2026-11-24', value: 0.031, status: 'at_risk', forecast: { probabilityRed: 0.58 } }),
    ].map(asWritten),
  );
  const approvals = new DynamoDbApprovalStore(dynamodb, `${PREFIX}-approvals`);
  const v = violation({ kpi: { id: 'sla_adherence' } });
  await approvals.createRequest({
    approvalId: '11111111-2222-4333-8444-555555555555',
    concernKey: 'c',
    violationKey: 'v',
    violation: v,
    policy: { action: 'request_approval', rule: 'highDecisionRequestsApproval', reason: 'high', version: 1 },
    proposal: 'supervise',
    subject: { kind: 'agent', id: 'lead-router-1' },
    previousMode: 'autonomous',
    requestedAt: '2026-11-25T09:00:00.000Z',
    tiers: [{ name: 'owners', emails: ['ana@example.com'], deadlineMinutes: 60 }],
    status: 'pending',
    currentTier: 0,
    tierDeadline: null,
    outcome: null,
    closedAt: null,
    executionArn: null,
  });
  const reviews = new DynamoDbReviewStore(dynamodb, `${PREFIX}-reviews`);
  await reviews.addActionItem(actionItem({ itemId: 'i-1', kpiId: 'sla_adherence', due: '2026-11-20' }));
  await reviews.addActionItem(actionItem({ itemId: 'i-2', kpiId: null, what: 'Write the runbook', due: '2026-12-20' }));

  dir = mkdtempSync(path.join(tmpdir(), 'kpi-status-aws-'));
  writeFileSync(
    path.join(dir, 'cdk-outputs.json'),
    JSON.stringify({
      [`${PREFIX}-Pipeline`]: {
        ComputationRawBucketNameA1B2: 'acme-raw-123456789012-eu-west-1',
        ComputationKpiScheduleGroupNameC3: 'Acme-kpis',
        ComputationComputeFunctionArnD4: 'arn:aws:lambda:eu-west-1:123456789012:function:Acme-compute',
        ComputationKpiSchedulerRoleArnE5: 'arn:aws:iam::123456789012:role/Acme-scheduler',
        ComputationKpiScheduleDeadLetterArnF6: 'arn:aws:sqs:eu-west-1:123456789012:Acme-dlq',
      },
    }),
  );
});

afterAll(async () => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  if (server) await closeServer(server);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function kpi(args: readonly string[]) {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    cwd: dir,
    env: process.env,
    stdout: (t) => {
      stdout += t;
    },
    stderr: (t) => {
      stderr += t;
    },
    now: () => NOW,
  });
  return { code, stdout, stderr };
}

describe('kpi status --aws', () => {
  it('prints each KPI of the deployed stacks with its latest value, status, drift, trend, approvals and items', async () => {
    const { code, stdout, stderr } = await kpi(['status', '--aws', '--stack-prefix', PREFIX]);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(stdout).toContain(`KPIs on the ${PREFIX} stacks on AWS, at 2026-11-25T12:00:00.000Z`);
    const sla = stdout.split('\n').find((l) => l.includes('sla_adherence')) ?? '';
    expect(sla).toMatch(/operational health\s+sla_adherence\s+2026-11-24\s+62 %\s+red\s+drift\s+↓-\s+1\s+1 item$/);
    const cac = stdout.split('\n').find((l) => l.includes(' cac ')) ?? '';
    expect(cac).toMatch(/business impact\s+cac\s+—\s+—\s+no value/);
    const ctr = stdout.split('\n').find((l) => l.includes(' ctr ')) ?? '';
    expect(ctr).toMatch(/business impact\s+ctr\s+2026-11-24\s+3\.1 %\s+at risk \(58 % chance of red by 2026-12-01\)/);
    expect(stdout).toContain(
      'Open action items about no KPI in particular\n  2026-12-20  data-eng@example.com  Write the runbook',
    );
    expect(stdout).toContain('1 open action item(s) past their due day.');
  });

  it('prints the same as JSON, one object per KPI', async () => {
    const { code, stdout } = await kpi(['status', '--aws', '--stack-prefix', PREFIX, '--format', 'json']);
    expect(code).toBe(0);
    const json = JSON.parse(stdout);
    expect(json.where).toBe(`the ${PREFIX} stacks on AWS`);
    expect(json.kpis.find((k: { kpiId: string }) => k.kpiId === 'sla_adherence')).toMatchObject({
      value: 0.62,
      status: 'red',
      drifting: true,
      recentDrifts: 2,
      trend: 'down',
      trendMeaning: 'worse',
      openApprovals: 1,
      openItems: 1,
      openCases: 0,
      definitionVersion: 1,
    });
    expect(json.kpis.find((k: { kpiId: string }) => k.kpiId === 'ctr')).toMatchObject({
      status: 'at_risk',
      redProbability: 0.58,
      horizon: '2026-12-01T00:00:00.000Z',
    });
    expect(json.otherItems.map((i: { itemId: string }) => i.itemId)).toEqual(['i-2']);
    expect(json.overdueItems).toBe(1);
  });

  it('colours each status as the report does when asked (FORCE_COLOR), and keeps the columns aligned', async () => {
    const saved = process.env.FORCE_COLOR;
    process.env.FORCE_COLOR = '1';
    try {
      const { code, stdout } = await kpi(['status', '--aws', '--stack-prefix', PREFIX]);
      expect(code).toBe(0);
      const lines = stdout.split('\n');
      const ctr = lines.find((l) => l.includes(' ctr ')) ?? '';
      expect(ctr).toContain('\u001b[38;5;208mat risk (58 % chance of red by 2026-12-01)\u001b[0m');
      expect(lines.find((l) => l.includes('sla_adherence'))).toContain('\u001b[31mred\u001b[0m');
      expect(lines.find((l) => l.includes(' cac '))).toContain('\u001b[90mno value\u001b[0m');
      // The drift column starts at the same place on every line, colours or not.
      const plain = (line: string) => line.replace(new RegExp(`${String.fromCharCode(27)}\\[[\\d;]+m`, 'g'), '');
      const header = plain(lines.find((l) => l.startsWith('category')) ?? '');
      const sla = plain(lines.find((l) => l.includes('sla_adherence')) ?? '');
      expect(sla.indexOf('drift')).toBe(header.indexOf('drift'));
    } finally {
      if (saved === undefined) delete process.env.FORCE_COLOR;
      else process.env.FORCE_COLOR = saved;
    }
  });

  it('says where the stack outputs are missing, as a usage error', async () => {
    const { code, stderr } = await kpi(['status', '--aws', '--outputs', 'nowhere.json']);
    expect(code).toBe(2);
    expect(stderr).toContain('no stack outputs at');
    expect(stderr).toContain('cdk deploy --all --outputs-file nowhere.json');
  });

  it('says when the outputs name no stack of the prefix', async () => {
    const { code, stderr } = await kpi(['status', '--aws', '--stack-prefix', 'Other']);
    expect(code).toBe(2);
    expect(stderr).toContain('has no outputs of the stack Other-Pipeline');
  });
});
