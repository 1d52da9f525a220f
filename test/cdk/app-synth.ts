// Shared by the CDK suites: the app synthesized once per test file, without bundling.
import { Template } from 'aws-cdk-lib/assertions';
import { buildApp, type PipelineApp } from '../../lib/app';

export interface SynthesizedApp {
  readonly built: PipelineApp;
  readonly stateful: Template;
  readonly pipeline: Template;
}

export function synthesizeApp(context: Record<string, unknown> = {}): SynthesizedApp {
  // CloudFormation template validation runs in `cdk synth` (CI); these assertions need no second pass.
  const built = buildApp({
    bundle: false,
    nag: false,
    validate: false,
    context,
  });
  return {
    built,
    stateful: Template.fromStack(built.stateful),
    pipeline: Template.fromStack(built.pipeline),
  };
}
