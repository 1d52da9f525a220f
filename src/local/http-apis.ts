// Local runtime: the API Gateway HTTP APIs of the templates, each served by a loopback HTTP server
// that turns a request into the payload 2.0 event API Gateway sends, invokes the route's function
// (the production handler) and writes back its response. The API's `ApiEndpoint` resolves to the
// server's URL, so links a function builds from it point here.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { LocalFunctions } from './functions';
import { closeServer, listenOnLoopback, readBodyBytes } from './loopback-http';
import type { TemplateResolver } from './template';

interface Route {
  readonly method: string;
  readonly pattern: RegExp;
  readonly parameterNames: readonly string[];
  readonly routeKey: string;
  readonly functionArn: string;
}

export interface LocalHttpApi {
  readonly stackName: string;
  readonly logicalId: string;
  /** `http://127.0.0.1:<port>`, what `Fn::GetAtt [api, ApiEndpoint]` resolves to. */
  readonly url: string;
}

/** Content types passed to the function as text; anything else is base64, as API Gateway does. */
const TEXT_TYPES = /^(text\/|application\/(json|x-www-form-urlencoded|xml|javascript)|.*\+json)/;

function compile(routeKey: string, functionArn: string): Route {
  if (routeKey === '$default') {
    return { method: 'ANY', pattern: /^\/.*$/, parameterNames: [], routeKey, functionArn };
  }
  const [method = 'ANY', path = '/'] = routeKey.split(' ');
  const parameterNames: string[] = [];
  const source = path
    .split('/')
    .map((segment) => {
      const parameter = /^\{([^}+]+)(\+?)\}$/.exec(segment);
      if (!parameter) return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      parameterNames.push(parameter[1] ?? '');
      return parameter[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return { method, pattern: new RegExp(`^${source}$`), parameterNames, routeKey, functionArn };
}

function refOf(value: unknown): string | undefined {
  if (value && typeof value === 'object' && 'Ref' in value) return String((value as { Ref: unknown }).Ref);
  return undefined;
}

/** The logical id of the integration a route's `Target` (`integrations/<Ref>`) names. */
function integrationOf(target: unknown): string | undefined {
  const join = (target as { 'Fn::Join'?: [string, unknown[]] } | undefined)?.['Fn::Join'];
  return join ? join[1].map(refOf).find((id) => id !== undefined) : undefined;
}

export class LocalHttpApis {
  private functions: LocalFunctions | undefined;

  private constructor(
    readonly apis: readonly LocalHttpApi[],
    private readonly servers: readonly Server[],
  ) {}

  /** Starts one server per HTTP API and points the resolver's `ApiEndpoint` at it. */
  static async start(resolver: TemplateResolver): Promise<LocalHttpApis> {
    const apis: LocalHttpApi[] = [];
    const servers: Server[] = [];
    const local = new LocalHttpApis(apis, servers);
    for (const { stackName, logicalId, resource } of resolver.resourcesOfType('AWS::ApiGatewayV2::Api')) {
      if (resource.Properties?.ProtocolType !== 'HTTP') continue;
      const routes = resolver
        .resourcesOfType('AWS::ApiGatewayV2::Route')
        .filter((r) => r.stackName === stackName && refOf(r.resource.Properties?.ApiId) === logicalId)
        .map((r) => {
          const integrationId = integrationOf(r.resource.Properties?.Target);
          const integration = integrationId ? resolver.resource(stackName, integrationId) : undefined;
          const functionArn = String(resolver.resolve(stackName, integration?.Properties?.IntegrationUri));
          return compile(String(r.resource.Properties?.RouteKey), functionArn);
        });
      const server = createServer((request, response) => {
        local.serve(routes, logicalId, request, response).catch((error: unknown) => {
          if (!response.headersSent) response.writeHead(500, { 'content-type': 'application/json' });
          response.end(JSON.stringify({ message: 'Internal Server Error', detail: (error as Error).message }));
        });
      });
      servers.push(server);
      const url = `http://127.0.0.1:${await listenOnLoopback(server)}`;
      resolver.overrideAttribute(stackName, logicalId, 'ApiEndpoint', url);
      apis.push({ stackName, logicalId, url });
    }
    return local;
  }

  /** Routes requests to these functions; until then every request answers 503. */
  bind(functions: LocalFunctions): void {
    this.functions = functions;
  }

  /** The URL of the API whose logical id starts with `prefix`. */
  url(logicalIdPrefix: string): string {
    const matches = this.apis.filter((api) => api.logicalId.startsWith(logicalIdPrefix));
    if (matches.length !== 1 || !matches[0])
      throw new Error(`no single HTTP API whose logical id starts with ${logicalIdPrefix}`);
    return matches[0].url;
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((server) => closeServer(server).catch(() => undefined)));
  }

  private async serve(routes: readonly Route[], apiId: string, request: IncomingMessage, response: ServerResponse) {
    const functions = this.functions;
    if (!functions) {
      response.writeHead(503).end();
      return;
    }
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const method = (request.method ?? 'GET').toUpperCase();
    const route = routeOf(routes, method, decodeURIComponent(url.pathname));
    if (!route) {
      response.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
      return;
    }
    const event = payloadEvent(route, apiId, method, url, request, (await readBodyBytes(request)) as Buffer);
    let result: unknown;
    try {
      result = await functions.invoke(route.functionArn, event);
    } catch {
      // API Gateway hides the function's error from the caller.
      response.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"Internal Server Error"}');
      return;
    }
    writeReply(response, result);
  }
}

/** The route a request takes: its method's, else the path's ANY, else `$default`. */
function routeOf(routes: readonly Route[], method: string, path: string): Route | undefined {
  const candidates = routes.filter((r) => r.routeKey !== '$default' && r.pattern.test(path));
  return (
    candidates.find((r) => r.method === method) ??
    candidates.find((r) => r.method === 'ANY') ??
    routes.find((r) => r.routeKey === '$default')
  );
}

/** The API Gateway payload 2.0 event of a request: text bodies as they are, others in base64. */
function payloadEvent(
  route: Route,
  apiId: string,
  method: string,
  url: URL,
  request: IncomingMessage,
  body: Buffer,
): Record<string, unknown> {
  const match = route.pattern.exec(decodeURIComponent(url.pathname));
  const pathParameters = Object.fromEntries(route.parameterNames.map((name, i) => [name, match?.[i + 1] ?? '']));
  const contentType = String(request.headers['content-type'] ?? '');
  const text = body.length === 0 || TEXT_TYPES.test(contentType);
  const headers = Object.fromEntries(
    Object.entries(request.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(',') : String(v)]),
  );
  const query: Record<string, string> = {};
  for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
  const now = new Date();
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString: url.search.replace(/^\?/, ''),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    ...(route.parameterNames.length > 0 ? { pathParameters } : {}),
    requestContext: {
      accountId: '000000000000',
      apiId,
      domainName: headers.host ?? '127.0.0.1',
      domainPrefix: '127',
      http: {
        method,
        path: url.pathname,
        protocol: `HTTP/${request.httpVersion}`,
        sourceIp: request.socket.remoteAddress ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: now.toUTCString(),
      timeEpoch: now.getTime(),
    },
    ...(body.length > 0 ? { body: text ? body.toString('utf8') : body.toString('base64') } : {}),
    isBase64Encoded: !text,
  };
}

/** Answers with the function's result: a payload 2.0 response, or anything else as a JSON 200. */
function writeReply(response: ServerResponse, result: unknown): void {
  const reply = result as
    | {
        statusCode?: number;
        headers?: Record<string, string>;
        body?: string;
        isBase64Encoded?: boolean;
        cookies?: string[];
      }
    | undefined;
  if (!reply || typeof reply !== 'object' || typeof reply.statusCode !== 'number') {
    response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(result ?? null));
    return;
  }
  const responseHeaders: Record<string, string | string[]> = { ...(reply.headers ?? {}) };
  if (reply.cookies?.length) responseHeaders['set-cookie'] = reply.cookies;
  response.writeHead(reply.statusCode, responseHeaders);
  response.end(reply.body ? Buffer.from(reply.body, reply.isBase64Encoded ? 'base64' : 'utf8') : undefined);
}
