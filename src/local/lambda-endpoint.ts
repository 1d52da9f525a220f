// Local runtime: the Lambda Invoke API for the functions of the templates, so that one function can
// invoke another with the real @aws-sdk/client-lambda (evaluate hands violations to the guardrail
// intake this way). Event invocations run in the background, as Lambda runs them (throttled ones
// wait for room, failed ones are retried twice); `drain` waits.
import { createServer, type Server } from 'node:http';
import type { LocalFunctions } from './functions';
import { closeServer, listenOnLoopback, readBodyText } from './loopback-http';

export interface LambdaEndpoint {
  readonly url: string;
  /** Resolves once every Event invocation started so far has finished (successfully or not). */
  drain(): Promise<void>;
  /** Errors of Event invocations after their retries (on AWS they would be dead-lettered). */
  readonly asyncErrors: { functionName: string; error: string }[];
  stop(): Promise<void>;
}

const INVOKE = /^\/2015-03-31\/functions\/([^/]+)\/invocations$/;

/** Retries of an Event invocation whose function failed, as Lambda's default (MaximumRetryAttempts). */
const ASYNC_RETRIES = 2;

/**
 * An Event invocation as Lambda's asynchronous queue runs it: a throttled one (the function at its
 * reserved concurrency) waits and tries again until it runs, and a failed one is retried twice
 * before it counts as failed (on AWS, then dead-lettered). Delays are short here; on AWS they are
 * minutes.
 */
async function invokeAsynchronously(local: LocalFunctions, name: string, event: unknown): Promise<unknown> {
  let failures = 0;
  for (let wait = 10; ; wait = Math.min(wait * 2, 500)) {
    try {
      return await local.invoke(name, event);
    } catch (error) {
      if ((error as Error).name !== 'TooManyRequestsException') {
        failures += 1;
        if (failures > ASYNC_RETRIES) throw error;
      }
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

/** Serves Invoke on 127.0.0.1; `functions` is read on each request, so it may be bound later. */
export async function startLambdaEndpoint(functions: () => LocalFunctions | undefined): Promise<LambdaEndpoint> {
  const pending = new Set<Promise<unknown>>();
  const asyncErrors: { functionName: string; error: string }[] = [];
  const server: Server = createServer(async (request, response) => {
    const send = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body === undefined ? '' : JSON.stringify(body));
    };
    const match = INVOKE.exec(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
    const local = functions();
    if (request.method !== 'POST' || !match || !local) {
      send(404, { Type: 'User', message: 'not found' }, { 'x-amzn-errortype': 'ResourceNotFoundException' });
      return;
    }
    const name = decodeURIComponent(match[1] as string);
    try {
      local.get(name);
    } catch (error) {
      send(
        404,
        { Type: 'User', message: (error as Error).message },
        { 'x-amzn-errortype': 'ResourceNotFoundException' },
      );
      return;
    }
    const text = await readBodyText(request);
    const event = text ? (JSON.parse(text) as unknown) : {};
    const type = String(request.headers['x-amz-invocation-type'] ?? 'RequestResponse');
    if (type === 'DryRun') {
      send(204, undefined);
      return;
    }
    if (type === 'Event') {
      const run = invokeAsynchronously(local, name, event)
        .catch((error: Error) => asyncErrors.push({ functionName: name, error: `${error.name}: ${error.message}` }))
        .finally(() => pending.delete(run));
      pending.add(run);
      send(202, undefined);
      return;
    }
    try {
      send(200, (await local.invoke(name, event)) ?? null, { 'x-amz-executed-version': '$LATEST' });
    } catch (error) {
      const failure = error as Error;
      if (failure.name === 'TooManyRequestsException') {
        // Throttled before it ran: Lambda answers 429, which the SDK retries with backoff.
        send(
          429,
          { Type: 'User', message: failure.message, Reason: 'ReservedFunctionConcurrentInvocationLimitExceeded' },
          {
            'x-amzn-errortype': 'TooManyRequestsException',
          },
        );
        return;
      }
      send(200, { errorType: failure.name, errorMessage: failure.message }, { 'x-amz-function-error': 'Unhandled' });
    }
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    asyncErrors,
    drain: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
    },
    stop: async () => {
      while (pending.size > 0) await Promise.allSettled([...pending]);
      await closeServer(server);
    },
  };
}
