// Local runtime: a loopback endpoint speaking the AWS JSON protocol (X-Amz-Target), for the few
// operations of a service that has no emulator here. The real SDK client talks to it unchanged.
import { createServer, type Server } from 'node:http';
import { closeServer, listenOnLoopback, readBodyText } from './loopback-http';

/** An error the endpoint returns the way AWS does: HTTP 400 with `__type` naming the exception. */
export class AwsServiceError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
    this.name = code;
  }
}

export type AwsJsonOperation = (input: Record<string, unknown>) => Promise<unknown> | unknown;

export interface AwsJsonEndpoint {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Serves `operations` on 127.0.0.1 with an OS-assigned port. `targetPrefix` is the part of
 * X-Amz-Target before the dot, e.g. `AWSStepFunctions` or `secretsmanager`.
 */
export async function startAwsJsonEndpoint(
  targetPrefix: string,
  operations: Record<string, AwsJsonOperation>,
): Promise<AwsJsonEndpoint> {
  const server: Server = createServer(async (request, response) => {
    const contentType = String(request.headers['content-type'] ?? 'application/x-amz-json-1.0');
    const reply = (status: number, body: unknown) => {
      response.writeHead(status, { 'content-type': contentType });
      response.end(JSON.stringify(body));
    };
    try {
      const target = String(request.headers['x-amz-target'] ?? '');
      const [prefix, operationName] = target.split('.');
      const operation = prefix === targetPrefix && operationName ? operations[operationName] : undefined;
      if (!operation) throw new AwsServiceError('UnknownOperationException', `${target} is not supported locally`);
      const body = await readBodyText(request);
      const output = await operation(body ? (JSON.parse(body) as Record<string, unknown>) : {});
      reply(200, output ?? {});
    } catch (error) {
      if (error instanceof AwsServiceError) reply(error.status, { __type: error.code, message: error.message });
      else reply(500, { __type: 'InternalFailure', message: (error as Error).message });
    }
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => closeServer(server),
  };
}
