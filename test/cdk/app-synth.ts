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

/** One statement of an IAM policy, as synthesized. */
/**
 * The identity policies of a template, by logical id: the roles' inline policies and the managed
 * policies CDK splits off when a role's inline policy outgrows IAM's size limit (both name the
 * roles they attach to under `Roles`).
 */
export function rolePolicies(template: Template): Record<string, ReturnType<Template['findResources']>[string]> {
  return {
    ...template.findResources('AWS::IAM::Policy'),
    ...template.findResources('AWS::IAM::ManagedPolicy'),
  };
}

export interface PolicyStatementJson {
  readonly Effect: string;
  readonly Action: string | string[];
  readonly Resource: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
}

/** Every statement of the policies attached to the role of the function with `entry` (functions/<entry>.ts). */
export function statementsOfFunction(template: Template, entry: string): PolicyStatementJson[] {
  const functions = template.findResources('AWS::Lambda::Function', { Metadata: { 'agentKpi:entry': entry } });
  const [fn] = Object.values(functions);
  if (!fn) throw new Error(`no function ${entry}`);
  const role = (fn.Properties.Role as { 'Fn::GetAtt': string[] })['Fn::GetAtt'][0];
  return Object.values(rolePolicies(template))
    .filter((p) => (p.Properties.Roles as { Ref: string }[]).some((r) => r.Ref === role))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as PolicyStatementJson[]);
}

/** The actions of a statement, as a list. */
export const actionsOf = (statement: PolicyStatementJson): string[] => [statement.Action].flat();
