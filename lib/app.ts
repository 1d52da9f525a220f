// CDK: builds the whole app. bin/app.ts synthesizes it for `cdk`; tests and the local runtime
// build the same app in-process so that what runs locally is what deploys.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { App, type AppProps, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, ServerlessChecks } from 'cdk-nag';
import { type DeploymentConfig, parseDeploymentConfig } from './config';
import { repoRoot } from './repo-root';
import { PipelineStack } from './stacks/pipeline-stack';
import { StatefulStack } from './stacks/stateful-stack';

/** The context of cdk.json: feature flags and the deployment configuration. */
export function readCdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(path.join(repoRoot, 'cdk.json'), 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

export interface BuildAppOptions {
  /** Extra or overriding context. */
  readonly context?: Record<string, unknown>;
  /** Bundle Lambda code with esbuild. Tests and the local runtime skip it. @default true */
  readonly bundle?: boolean;
  /** Register the cdk-nag packs as validation plugins. @default true */
  readonly nag?: boolean;
  /**
   * Run CloudFormation's own template validation at synth (a WASM rules engine: seconds of CPU).
   * `cdk synth` and CI keep it; tests and the local runtime, which synthesize often, skip it.
   * @default true
   */
  readonly validate?: boolean;
  readonly outdir?: string;
}

export interface PipelineApp {
  readonly app: App;
  readonly config: DeploymentConfig;
  readonly stateful: StatefulStack;
  readonly pipeline: PipelineStack;
}

/** Builds the stacks; `cdk synth` and every test go through here. */
export function buildApp(options: BuildAppOptions = {}): PipelineApp {
  const context: Record<string, unknown> = { ...readCdkJsonContext(), ...options.context };
  // No stack bundles its assets: synth stays offline-fast and asset hashes stay stable.
  if (options.bundle === false) context['aws:cdk:bundling-stacks'] = [];
  const appProps: AppProps = {
    context,
    builtinCloudFormationValidation: options.validate ?? true,
    ...(options.outdir ? { outdir: options.outdir } : {}),
  };
  const app = new App(appProps);
  const config = parseDeploymentConfig(app.node.tryGetContext('agentKpiPipeline'));
  const env = { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION };

  const stateful = new StatefulStack(app, `${config.stackPrefix}-Data`, {
    config,
    env,
    description: 'Agent KPI Pipeline: buckets and tables (retained)',
  });
  const pipeline = new PipelineStack(app, `${config.stackPrefix}-Pipeline`, {
    config,
    env,
    description: 'Agent KPI Pipeline: ingestion, compute, evaluation, governance and publishing',
  });
  pipeline.addStackDependency(stateful);

  if (options.nag !== false) {
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new ServerlessChecks(app));
  }
  return { app, config, stateful, pipeline };
}
