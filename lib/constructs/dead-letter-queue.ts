// CDK: the dead-letter queue every asynchronous invocation path uses (Lambda async invokes,
// Scheduler targets). Encrypted, TLS-only, kept 14 days, and watched by an alarm (observability.ts).
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { acknowledge } from '../nag';

export interface DeadLetterQueueProps {
  /** Key that encrypts the messages; SNS-, Scheduler- and Lambda-sent messages all need a customer key. */
  readonly encryptionKey: IKey;
  /** What lands here, for the console and the alarm. */
  readonly purpose: string;
}

/** An SQS queue that holds failed events so nothing is lost; a message here raises an alarm. */
export class DeadLetterQueue extends Construct {
  readonly queue: Queue;
  readonly purpose: string;

  constructor(scope: Construct, id: string, props: DeadLetterQueueProps) {
    super(scope, id);
    this.purpose = props.purpose;
    this.queue = new Queue(this, 'Queue', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.encryptionKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const reason = `This queue is itself the dead-letter queue for ${props.purpose}; an alarm watches its depth.`;
    acknowledge(this.queue, 'AwsSolutions-SQS3', reason);
    acknowledge(this.queue, 'Serverless-SQSRedrivePolicy', reason);
  }

  /** Every dead-letter queue under a scope, for the alarms. */
  static allIn(scope: Construct): DeadLetterQueue[] {
    return scope.node.findAll().filter((c): c is DeadLetterQueue => c instanceof DeadLetterQueue);
  }
}
