// Local runtime: the Lambda Function URLs the templates declare, each served on its own loopback
// port. A request becomes the payload-format-2.0 event AWS would deliver, the production handler
// answers through LocalCloud's functions, and its result becomes the HTTP response, the way the
// Function URL service maps them (a handler that throws is a 502).
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { LocalFunction, LocalFunctions } from './functions';
import { closeServer, listenOnLoopback, readBodyBytes } from './loopback-http';
import type { TemplateResolver } from './template';

/** The largest request body a Function URL accepts (the synchronous Lambda payload quota). */
const MAX_REQUEST_BYTES = 6 * 1024 * 1024;

export interface LocalFunctionUrl {
  /** Logical id of the `AWS::Lambda::Url` resource. */
  readonly logicalId: string;
  /** Entry (functions/<entry>.ts) of the target function. */
  readonly entry: string;
  /** `http://127.0.0.1:<port>/`, the local counterpart of the function URL. */
  readonly url: string;
}

export interface LocalFunctionUrls {
  readonly all: readonly LocalFunctionUrl[];
  /** The URL of the function with this entry, e.g. `ingest-telemetry`. */
  urlOf(entry: string): string;
  stop(): Promise<void>;
}

interface FunctionUrlResult {
  statusCode?: number;
  headers?: Record<string, string>;
  body?: string;
  isBase64Encoded?: boolean;
}

/** The event a Function URL delivers for this request (payload format 2.0). */
function functionUrlEvent(request: IncomingMessage, body: Buffer, port: number) {
  const url = new URL(request.url ?? '/', `http://127.0.0.1:${port}`);
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers)) {
    if (value !== undefined) headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const now = new Date();
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers,
    ...(url.search ? { queryStringParameters: Object.fromEntries(url.searchParams) } : {}),
    requestContext: {
      accountId: 'anonymous',
      apiId: 'local',
      domainName: url.host,
      domainPrefix: 'local',
      http: {
        method: request.method ?? 'GET',
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: '$default',
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: body.toString('base64'), isBase64Encoded: true } : { isBase64Encoded: false }),
  };
}

export interface LocalFunctionUrlOptions {
  /** Invokes the target function; LocalFunctions.invoke by default (tests may build the handler themselves). */
  readonly invoke?: (fn: LocalFunction, event: unknown) => Promise<unknown>;
}

/** Starts one loopback server per `AWS::Lambda::Url` in the templates. */
export async function startLocalFunctionUrls(
  resolver: TemplateResolver,
  functions: LocalFunctions,
  options: LocalFunctionUrlOptions = {},
): Promise<LocalFunctionUrls> {
  const invoke = options.invoke ?? ((fn: LocalFunction, event: unknown) => functions.invoke(fn.arn, event));
  const servers: Server[] = [];
  const all: LocalFunctionUrl[] = [];
  try {
    for (const { stackName, logicalId, resource } of resolver.resourcesOfType('AWS::Lambda::Url')) {
      const target = String(resolver.resolve(stackName, resource.Properties?.TargetFunctionArn));
      const fn = functions.get(target);
      let port = 0;
      const server = createServer(async (request, response) => {
        const send = (status: number, headers: Record<string, string>, body: Buffer | string) => {
          response.writeHead(status, headers);
          response.end(body);
        };
        try {
          const body = await readBodyBytes(request, MAX_REQUEST_BYTES);
          if (!body) {
            send(413, { 'content-type': 'application/json' }, '{"message":"Request Entity Too Large"}');
            return;
          }
          const result = (await invoke(fn, functionUrlEvent(request, body, port))) as FunctionUrlResult | string;
          if (typeof result !== 'object' || result === null || result.statusCode === undefined) {
            send(
              200,
              { 'content-type': 'application/json' },
              typeof result === 'string' ? result : JSON.stringify(result),
            );
            return;
          }
          const payload = result.body ?? '';
          send(
            result.statusCode,
            result.headers ?? {},
            result.isBase64Encoded ? Buffer.from(payload, 'base64') : payload,
          );
        } catch (error) {
          // Beyond the function's reserved concurrency the Function URL answers 429, as on AWS.
          if ((error as Error).name === 'TooManyRequestsException') {
            send(429, { 'content-type': 'application/json' }, '{"Message":"Rate Exceeded."}');
          } else send(502, { 'content-type': 'application/json' }, '{"message":"Internal Server Error"}');
        }
      });
      servers.push(server);
      port = await listenOnLoopback(server);
      all.push({ logicalId, entry: fn.entry, url: `http://127.0.0.1:${port}/` });
    }
  } catch (error) {
    await Promise.all(servers.map((s) => closeServer(s).catch(() => undefined)));
    throw error;
  }
  return {
    all,
    urlOf: (entry) => {
      const found = all.find((u) => u.entry === entry);
      if (!found) throw new Error(`no function URL for ${entry}`);
      return found.url;
    },
    stop: async () => {
      await Promise.all(servers.map((s) => closeServer(s).catch(() => undefined)));
    },
  };
}
