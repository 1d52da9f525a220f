// Local runtime: how a Task state's resource runs locally. Lambda tasks run the production
// handlers; service integrations (SNS, SQS, DynamoDB, Step Functions) make the same call through
// the real SDK client against the emulators, their errors named as Step Functions names them.
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { LocalFunctions } from '../functions';
import type { SynthesizedStateMachine } from './asl';
import { type LocalExecution, TaskError } from './execution';

export type TaskCall = (input: unknown) => Promise<unknown>;

export class ServiceIntegrations {
  private readonly sns = new SNSClient({});
  private readonly sqs = new SQSClient({ useQueueUrlAsEndpoint: false });
  private readonly dynamodb = new DynamoDBClient({});

  constructor(
    private readonly functions: LocalFunctions,
    /** Starts an execution of a registered state machine (the states:startExecution integration). */
    private readonly startExecution: (stateMachineArn: string, input: unknown, name?: string) => LocalExecution,
  ) {}

  /** The call a Task state's resource makes; throws for a resource the local runtime cannot run. */
  callFor(machine: SynthesizedStateMachine, stateName: string, resource: string): TaskCall {
    if (/^arn:aws:lambda:[^:]+:\d+:function:/.test(resource)) return (input) => this.invokeLambda(resource, input);
    const call = this.lambdaIntegration(resource) ?? this.messagingIntegration(resource);
    const dynamodb = this.dynamodbIntegration(resource);
    const states = this.statesIntegration(resource);
    const found = call ?? dynamodb ?? states;
    if (found) return found;
    const where = `${machine.stackName}/${machine.logicalId} state "${stateName}"`;
    throw new Error(`${where}: resource ${resource} is not supported by the local runtime`);
  }

  private lambdaIntegration(resource: string): TaskCall | undefined {
    if (resource !== 'arn:aws:states:::lambda:invoke') return undefined;
    return async (input) => {
      const { FunctionName, Payload } = input as { FunctionName: string; Payload?: unknown };
      const payload = await this.invokeLambda(FunctionName, Payload ?? {});
      return { ExecutedVersion: '$LATEST', Payload: payload, StatusCode: 200 };
    };
  }

  private messagingIntegration(resource: string): TaskCall | undefined {
    const text = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));
    if (resource === 'arn:aws:states:::sns:publish') {
      return (input) => {
        const params = input as Record<string, unknown>;
        return sdk('SNS', () =>
          this.sns.send(new PublishCommand({ ...params, Message: text(params.Message) } as never)),
        );
      };
    }
    if (resource === 'arn:aws:states:::sqs:sendMessage') {
      return (input) => {
        const params = input as Record<string, unknown>;
        const MessageBody = text(params.MessageBody);
        return sdk('SQS', () => this.sqs.send(new SendMessageCommand({ ...params, MessageBody } as never)));
      };
    }
    return undefined;
  }

  private dynamodbIntegration(resource: string): TaskCall | undefined {
    const commands = {
      'arn:aws:states:::dynamodb:putItem': PutItemCommand,
      'arn:aws:states:::dynamodb:getItem': GetItemCommand,
      'arn:aws:states:::dynamodb:updateItem': UpdateItemCommand,
      'arn:aws:states:::dynamodb:deleteItem': DeleteItemCommand,
    } as const;
    const Command = commands[resource as keyof typeof commands] as unknown as (new (input: never) => never) | undefined;
    if (!Command) return undefined;
    return (input) =>
      sdk('DynamoDB', () => this.dynamodb.send(new Command(input as never))).then((output) =>
        stripMetadata(output as { $metadata?: unknown }),
      );
  }

  private statesIntegration(resource: string): TaskCall | undefined {
    const sync = resource === 'arn:aws:states:::states:startExecution.sync:2';
    if (!sync && resource !== 'arn:aws:states:::states:startExecution') return undefined;
    return async (input) => {
      const { StateMachineArn, Input, Name } = input as { StateMachineArn: string; Input?: unknown; Name?: string };
      const child = this.startExecution(
        StateMachineArn,
        typeof Input === 'string' ? JSON.parse(Input) : (Input ?? {}),
        Name,
      );
      if (!sync) return { ExecutionArn: child.executionArn, StartDate: child.startDate.toISOString() };
      const finished = await child.done;
      if (finished.status !== 'SUCCEEDED')
        throw new TaskError('States.TaskFailed', `${finished.error}: ${finished.cause}`);
      return { ExecutionArn: finished.executionArn, Output: finished.output, Status: finished.status };
    };
  }

  private async invokeLambda(functionKey: string, payload: unknown): Promise<unknown> {
    try {
      return await this.functions.invoke(functionKey, payload);
    } catch (error) {
      // Step Functions names a Lambda failure after the error the handler threw, and a throttled
      // invocation (reserved concurrency reached) after the Lambda service's error.
      const e = error as Error;
      if (e.name === 'TooManyRequestsException') throw new TaskError('Lambda.TooManyRequestsException', e.message);
      // A function whose process died mid-invocation (a crash plan of the fault injector): Step
      // Functions reports what Lambda tells it then, an error of unknown type.
      if (e.name === 'SimulatedCrash') throw new TaskError('Lambda.Unknown', e.message);
      throw new TaskError(e.name || 'Error', e.message);
    }
  }
}

async function sdk<T>(prefix: string, send: () => Promise<T>): Promise<T> {
  try {
    return await send();
  } catch (error) {
    throw new TaskError(`${prefix}.${(error as Error).name}`, (error as Error).message);
  }
}

function stripMetadata<T extends { $metadata?: unknown }>(output: T): Omit<T, '$metadata'> {
  const { $metadata: _, ...rest } = output;
  return rest;
}
