import { App, Stack } from 'aws-cdk-lib';
import { Bucket } from 'aws-cdk-lib/aws-s3';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildApp, type PipelineApp } from '../../lib/app';

let built: PipelineApp;

beforeAll(() => {
  built = buildApp({ bundle: false, nag: false });
});

const findings = (stack: Stack) =>
  [new AwsSolutionsChecks(), new ServerlessChecks()].flatMap((pack) =>
    pack
      .validateScope(stack)
      .violations.map((v) => `${v.ruleName} at ${v.violatingResources.map((r) => r.constructPath).join(', ')}`),
  );

describe('cdk-nag', () => {
  it('finds nothing unacknowledged in the stateful stack', () => {
    expect(findings(built.stateful)).toEqual([]);
  });

  it('finds nothing unacknowledged in the pipeline stack', () => {
    expect(findings(built.pipeline)).toEqual([]);
  });

  it('reports a bucket that allows plain HTTP and keeps no access logs', () => {
    const stack = new Stack(new App(), 'Probe');
    new Bucket(stack, 'Careless');
    const rules = findings(stack).map((f) => f.split(' ')[0]);
    expect(rules).toContain('AwsSolutions-S1');
    expect(rules).toContain('AwsSolutions-S10');
  });
});
