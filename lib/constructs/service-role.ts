// CDK: roles whose unavoidable `Resource: *` statements live in policies of their own. X-Ray tracing
// and Step Functions log delivery have no resource-level permissions, so their statements grant on
// `*`; kept apart, each is acknowledged to cdk-nag on its own policy, and any other wildcard added to
// the role later lands in its default policy, where cdk-nag still reports it.
import { ArnFormat, Stack } from 'aws-cdk-lib';
import {
  type AddToPrincipalPolicyResult,
  Policy,
  type PolicyStatement,
  Role,
  ServicePrincipal,
} from 'aws-cdk-lib/aws-iam';
import type { Construct } from 'constructs';
import { acknowledge } from '../nag';

interface ServiceWideGrant {
  /** Id of the policy construct under the role. */
  readonly id: string;
  /** The only actions such a statement may hold. */
  readonly actions: ReadonlySet<string>;
  readonly reason: string;
}

/** The statements AWS lets a service grant on `*` only, each recognised by its actions. */
const SERVICE_WIDE_GRANTS: readonly ServiceWideGrant[] = [
  {
    id: 'Tracing',
    actions: new Set([
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
    ]),
    reason: 'X-Ray tracing: PutTraceSegments, PutTelemetryRecords and GetSampling* exist on * only.',
  },
  {
    id: 'LogDelivery',
    actions: new Set([
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
    ]),
    reason:
      'Step Functions execution logging: the CloudWatch Logs delivery actions have no resource-level permissions (the log group itself is named in the state machine).',
  },
];

function serviceWideGrantOf(statement: PolicyStatement): ServiceWideGrant | undefined {
  const json = statement.toStatementJson() as {
    Effect?: string;
    Action?: string | string[];
    Resource?: string | string[];
    Condition?: unknown;
    NotAction?: unknown;
    NotResource?: unknown;
    Principal?: unknown;
  };
  const resources = [json.Resource ?? []].flat();
  const actions = [json.Action ?? []].flat();
  if (json.Effect !== 'Allow' || json.Condition || json.NotAction || json.NotResource || json.Principal) return;
  if (resources.length !== 1 || resources[0] !== '*' || actions.length === 0) return;
  return SERVICE_WIDE_GRANTS.find((grant) => actions.every((action) => grant.actions.has(action)));
}

/**
 * A role that files the X-Ray and log-delivery statements (and only those, exactly as the services
 * need them) into a policy of their own, acknowledged there and nowhere else.
 */
export class ServiceRole extends Role {
  private readonly serviceWide = new Map<string, Policy>();

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    const grant = serviceWideGrantOf(statement);
    if (!grant) return super.addToPrincipalPolicy(statement);
    let policy = this.serviceWide.get(grant.id);
    if (!policy) {
      policy = new Policy(this, grant.id, { roles: [this] });
      acknowledge(policy, 'AwsSolutions-IAM5[Resource::*]', grant.reason);
      this.serviceWide.set(grant.id, policy);
    }
    policy.addStatements(statement);
    return { statementAdded: true, policyDependable: policy };
  }
}

/** The ids under a ServiceRole of the policies holding its service-wide statements. */
export const SERVICE_WIDE_POLICY_IDS: readonly string[] = SERVICE_WIDE_GRANTS.map((grant) => grant.id);

/**
 * The role a state machine runs as: Step Functions may assume it for this account's state machines
 * only (the trust CDK would write), and its tracing and logging grants are kept apart.
 */
export function stateMachineRole(scope: Construct, id: string, description: string): ServiceRole {
  const stack = Stack.of(scope);
  return new ServiceRole(scope, id, {
    description,
    assumedBy: new ServicePrincipal('states.amazonaws.com', {
      conditions: {
        StringEquals: { 'aws:SourceAccount': stack.account },
        ArnLike: {
          'aws:SourceArn': stack.formatArn({
            service: 'states',
            resource: 'stateMachine',
            resourceName: '*',
            arnFormat: ArnFormat.COLON_RESOURCE_NAME,
          }),
        },
      },
    }),
  });
}

/**
 * The role EventBridge Scheduler assumes to deliver the schedules of one schedule group: trusted
 * for this account's schedules of that group only (`aws:SourceAccount`, `aws:SourceArn`), so no
 * other account's or group's schedule can borrow it.
 */
export function schedulerRole(
  scope: Construct,
  id: string,
  props: { readonly description: string; readonly scheduleGroupName: string },
): Role {
  const stack = Stack.of(scope);
  return new Role(scope, id, {
    description: props.description,
    assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
      conditions: {
        StringEquals: {
          'aws:SourceAccount': stack.account,
          'aws:SourceArn': stack.formatArn({
            service: 'scheduler',
            resource: 'schedule-group',
            resourceName: props.scheduleGroupName,
          }),
        },
      },
    }),
  });
}
