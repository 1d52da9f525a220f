import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SNAPSHOT_COLUMNS } from '../../src/contracts/snapshot-layout';
import { rolePolicies, type SynthesizedApp, synthesizeApp } from './app-synth';

let app: SynthesizedApp;

beforeAll(() => {
  app = synthesizeApp();
});

const exporterRole = () => {
  const roles = app.pipeline.findResources('AWS::IAM::Role', {
    Properties: { Description: 'Execution role of export-snapshots' },
  });
  return Object.keys(roles)[0] as string;
};

describe('snapshots', () => {
  it('declares a Glue table over the Parquet snapshots, partitioned by date with projection', () => {
    app.pipeline.hasResourceProperties('AWS::Glue::Table', {
      TableInput: Match.objectLike({
        Name: 'kpi_values',
        PartitionKeys: [Match.objectLike({ Name: 'date', Type: 'string' })],
        Parameters: Match.objectLike({
          classification: 'parquet',
          'projection.enabled': 'true',
          'projection.date.type': 'date',
          'projection.date.format': 'yyyy-MM-dd',
          'projection.date.range': '2020-01-01,NOW',
        }),
        StorageDescriptor: Match.objectLike({
          Location: Match.objectLike({ 'Fn::Join': ['', Match.arrayWith(['/kpi_values/'])] }),
          SerdeInfo: Match.objectLike({
            SerializationLibrary: 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe',
          }),
        }),
      }),
    });
  });

  it('gives the Glue table exactly the columns the exporter writes, in order', () => {
    const [table] = Object.values(app.pipeline.findResources('AWS::Glue::Table'));
    const columns = table?.Properties.TableInput.StorageDescriptor.Columns as { Name: string; Type: string }[];
    expect(columns.map((c) => [c.Name, c.Type])).toEqual(SNAPSHOT_COLUMNS.map((c) => [c.name, c.glue]));
  });

  it('runs the export daily with the scheduled time as input and a dead-letter queue', () => {
    app.pipeline.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: 'cron(30 1 * * ? *)',
      Target: Match.objectLike({
        Input: '{"scheduledTime":"<aws.scheduler.scheduled-time>"}',
        DeadLetterConfig: Match.objectLike({ Arn: Match.anyValue() }),
      }),
    });
  });

  it('lets the exporter read the values table and write only under the snapshot prefixes', () => {
    const statements = Object.values(rolePolicies(app.pipeline))
      .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === exporterRole()))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as { Action: string | string[]; Resource: unknown }[]);
    const puts = statements.filter((s) => [s.Action].flat().includes('s3:PutObject'));
    const resources = JSON.stringify(puts.map((s) => s.Resource));
    expect(resources).toContain('/kpi_values/*');
    expect(resources).toContain('/manifests/kpi_values/*');
    const dynamo = statements.flatMap((s) => [s.Action].flat()).filter((a) => a.startsWith('dynamodb:'));
    expect(dynamo.some((a) => /Put|Update|Delete|Write/.test(a))).toBe(false);
  });
});
