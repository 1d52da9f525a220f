// CDK: how the project acknowledges a cdk-nag finding. Each call names exactly one finding
// (rule id, and for IAM5 the one action or resource) and says why it is acceptable.
import { Stack, Validations } from 'aws-cdk-lib';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference';
import type { IConstruct } from 'constructs';

/** Acknowledges one rule on one construct (and the resources beneath it). */
export function acknowledge(scope: IConstruct, id: string, reason: string): void {
  Validations.of(scope).acknowledge({ id, reason });
}

/**
 * Acknowledges one wildcard resource of AwsSolutions-IAM5, rendered the way cdk-nag renders it,
 * so that the acknowledgement follows the resource when its logical id changes.
 */
export function acknowledgeWildcardResource(scope: IConstruct, resource: string, reason: string): void {
  const rendered = flattenCfnReference(Stack.of(scope).resolve(resource));
  acknowledge(scope, `AwsSolutions-IAM5[Resource::${rendered}]`, reason);
}

/** Acknowledges one wildcard action of AwsSolutions-IAM5, e.g. `s3:Abort*`. */
export function acknowledgeWildcardAction(scope: IConstruct, action: string, reason: string): void {
  acknowledge(scope, `AwsSolutions-IAM5[Action::${action}]`, reason);
}
