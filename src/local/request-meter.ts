// Local runtime: counts the AWS requests a run makes against the local cloud, by service and
// operation, as the services would bill them. It listens on Node's `http.server.request.start`
// diagnostics channel, so every client (the functions, the CLI, the state machines' service
// integrations) is counted without being told, and tells the services apart by the loopback port
// each emulator listens on. DynamoDB requests also get their capacity units, estimated from the
// items' sizes as DynamoDB rounds them (1 KB a write unit, 4 KB a read unit, half for an eventually
// consistent read). Lambda invocations and Step Functions state transitions are counted where the
// local runtime runs them (see `watchFunctions`, `watchStateMachines`).
import { type Channel, channel } from 'node:diagnostics_channel';
import type { IncomingMessage, ServerResponse } from 'node:http';

export type MeteredService =
  | 'dynamodb'
  | 's3'
  | 'sqs'
  | 'sns'
  | 'states'
  | 'scheduler'
  | 'secretsmanager'
  | 'lambda'
  | 'other';

/** What a set of requests of one operation amounted to. */
export interface OperationCount {
  readonly service: MeteredService;
  readonly operation: string;
  requests: number;
  /** DynamoDB: write or read request units (estimated from sizes); 0 for other services. */
  capacityUnits: number;
  /** Lambda: GB-seconds (duration × memory); 0 for other services. */
  gbSeconds: number;
}

/** `service:Operation` → count. */
export type MeterReading = Readonly<Record<string, Readonly<OperationCount>>>;

/**
 * Where each service of a local cloud listens. The meter sees the requests servers on its own thread
 * receive: the cloud must run its emulators on this thread (`emulatorThread: false`).
 * @throws Error when the cloud's emulators run on a thread of their own
 */
export function servicePortsOf(cloud: {
  readonly environment: Readonly<Record<string, string>>;
  readonly emulatorThread: boolean;
}): Map<number, MeteredService> {
  if (cloud.emulatorThread) {
    throw new Error('the requests of a local cloud are metered on its own thread: start it with emulatorThread: false');
  }
  return servicePorts(cloud.environment);
}

/** Where each service listens, from the `AWS_ENDPOINT_URL_<SERVICE>` variables. */
export function servicePorts(environment: Readonly<Record<string, string>>): Map<number, MeteredService> {
  const ports = new Map<number, MeteredService>();
  const named: [string, MeteredService][] = [
    ['AWS_ENDPOINT_URL_DYNAMODB', 'dynamodb'],
    ['AWS_ENDPOINT_URL_S3', 's3'],
    ['AWS_ENDPOINT_URL_SFN', 'states'],
    ['AWS_ENDPOINT_URL_SCHEDULER', 'scheduler'],
    ['AWS_ENDPOINT_URL_SECRETS_MANAGER', 'secretsmanager'],
    ['AWS_ENDPOINT_URL_LAMBDA', 'lambda'],
  ];
  for (const [variable, service] of named) {
    const url = environment[variable];
    if (url) ports.set(Number(new URL(url).port), service);
  }
  return ports;
}

interface ServerRequestStart {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
}

/**
 * Counts requests while attached.
 * @example
 * const meter = RequestMeter.attach(servicePortsOf(cloud)); // cloud started with emulatorThread: false
 * await runSomething();
 * console.log(meter.reading());
 * meter.detach();
 */
export class RequestMeter {
  private readonly counts = new Map<string, OperationCount>();
  private readonly channel: Channel;
  private readonly listener: (message: unknown) => void;

  private constructor(private readonly ports: ReadonlyMap<number, MeteredService>) {
    this.channel = channel('http.server.request.start');
    this.listener = (message) => this.onRequest(message as ServerRequestStart);
    this.channel.subscribe(this.listener);
  }

  /** Starts counting the requests the servers on `ports` receive. */
  static attach(ports: ReadonlyMap<number, MeteredService>): RequestMeter {
    return new RequestMeter(ports);
  }

  detach(): void {
    this.channel.unsubscribe(this.listener);
  }

  /** Adds requests counted elsewhere (a Lambda invocation, a state transition). */
  add(service: MeteredService, operation: string, requests = 1, extra: { gbSeconds?: number } = {}): void {
    const entry = this.entry(service, operation);
    entry.requests += requests;
    entry.gbSeconds += extra.gbSeconds ?? 0;
  }

  /** A copy of the counts so far. */
  reading(): MeterReading {
    return Object.fromEntries([...this.counts].map(([key, count]) => [key, { ...count }]));
  }

  /** What happened between two readings. */
  static since(before: MeterReading, after: MeterReading): MeterReading {
    const result: Record<string, OperationCount> = {};
    for (const [key, count] of Object.entries(after)) {
      const earlier = before[key];
      const requests = count.requests - (earlier?.requests ?? 0);
      if (requests === 0) continue;
      result[key] = {
        ...count,
        requests,
        capacityUnits: count.capacityUnits - (earlier?.capacityUnits ?? 0),
        gbSeconds: count.gbSeconds - (earlier?.gbSeconds ?? 0),
      };
    }
    return result;
  }

  /** Requests in a reading, all services or one. */
  static total(reading: MeterReading, service?: MeteredService): number {
    return Object.values(reading)
      .filter((c) => service === undefined || c.service === service)
      .reduce((n, c) => n + c.requests, 0);
  }

  private entry(service: MeteredService, operation: string): OperationCount {
    const key = `${service}:${operation}`;
    let entry = this.counts.get(key);
    if (!entry) {
      entry = { service, operation, requests: 0, capacityUnits: 0, gbSeconds: 0 };
      this.counts.set(key, entry);
    }
    return entry;
  }

  private onRequest({ request, response }: ServerRequestStart): void {
    const service = this.ports.get(request.socket.localPort ?? -1);
    if (!service) return;
    const target = String(request.headers['x-amz-target'] ?? '');
    if (service === 'dynamodb') {
      const operation = target.split('.')[1] ?? 'Unknown';
      const entry = this.entry(service, operation);
      entry.requests += 1;
      meterCapacity(operation, request, response, (units) => {
        entry.capacityUnits += units;
      });
      return;
    }
    if (service === 's3') {
      const operation = s3Operation(request);
      // fauxqs serves SNS and SQS on the same port: their requests are POSTs to `/` (query or JSON protocol).
      const messaging = messagingOperation(request, target);
      if (messaging) this.entry(messaging.service, messaging.operation).requests += 1;
      else this.entry('s3', operation).requests += 1;
      return;
    }
    const operation = target ? (target.split('.')[1] ?? target) : restOperation(service, request);
    this.entry(service, operation).requests += 1;
  }
}

/**
 * The operation of a REST request to Lambda (`POST /2015-03-31/functions/<name>/invocations`) or
 * EventBridge Scheduler (`/schedules[/<name>]`, `/schedule-groups…`); `METHOD /path` otherwise.
 */
export function restOperation(service: MeteredService, request: Pick<IncomingMessage, 'method' | 'url'>): string {
  const pathname = (request.url ?? '/').split('?')[0] ?? '/';
  if (service === 'lambda' && /\/functions\/[^/]+\/invocations$/.test(pathname)) return 'Invoke';
  if (service === 'scheduler') {
    const [collection, name] = pathname.split('/').filter(Boolean);
    const noun = collection === 'schedule-groups' ? 'ScheduleGroup' : collection === 'schedules' ? 'Schedule' : null;
    if (noun) {
      if (!name) return request.method === 'GET' ? `List${noun}s` : `${request.method} ${pathname}`;
      const verb = { GET: 'Get', POST: 'Create', PUT: 'Update', DELETE: 'Delete' }[request.method ?? ''];
      if (verb) return `${verb}${noun}`;
    }
  }
  return `${request.method} ${pathname}`;
}

/** The S3 API operation of a request in path style (`/<bucket>/<key>?…`). */
export function s3Operation(request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>): string {
  const url = new URL(request.url ?? '/', 'http://local');
  const q = url.searchParams;
  const hasKey = url.pathname.split('/').filter(Boolean).length > 1;
  switch (request.method) {
    case 'GET':
      if (!hasKey)
        return q.has('list-type') ? 'ListObjectsV2' : q.has('uploads') ? 'ListMultipartUploads' : 'ListObjects';
      return q.has('uploadId') ? 'ListParts' : 'GetObject';
    case 'HEAD':
      return hasKey ? 'HeadObject' : 'HeadBucket';
    case 'PUT':
      if (!hasKey) return 'CreateBucket';
      if (q.has('partNumber')) return request.headers['x-amz-copy-source'] ? 'UploadPartCopy' : 'UploadPart';
      return request.headers['x-amz-copy-source'] ? 'CopyObject' : 'PutObject';
    case 'POST':
      if (q.has('uploads')) return 'CreateMultipartUpload';
      if (q.has('uploadId')) return 'CompleteMultipartUpload';
      if (q.has('delete')) return 'DeleteObjects';
      return 'PostObject';
    case 'DELETE':
      return q.has('uploadId') ? 'AbortMultipartUpload' : hasKey ? 'DeleteObject' : 'DeleteBucket';
    default:
      return String(request.method);
  }
}

function messagingOperation(
  request: Pick<IncomingMessage, 'method' | 'url' | 'headers'>,
  target: string,
): { service: MeteredService; operation: string } | null {
  if (request.method !== 'POST' || (request.url ?? '/').split('?')[0] !== '/') return null;
  if (target.startsWith('AmazonSQS.')) return { service: 'sqs', operation: target.slice('AmazonSQS.'.length) };
  // The query protocol names the action in the body; SNS is the only query-protocol client here.
  return { service: 'sns', operation: 'Publish' };
}

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem']);

/**
 * Capacity units of one DynamoDB request, from its body (writes: each item's size, rounded up to
 * 1 KB) or its response (reads: the bytes returned, rounded up to 4 KB, halved when eventually
 * consistent). Sizes are those of the items' DynamoDB JSON, a little above DynamoDB's own count.
 */
function meterCapacity(
  operation: string,
  request: IncomingMessage,
  response: ServerResponse,
  add: (units: number) => void,
): void {
  if (!WRITES.has(operation) && !READS.has(operation)) return;
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    if (WRITES.has(operation)) {
      add(writeUnits(operation, body));
      return;
    }
    const consistent = body.ConsistentRead === true;
    let bytes = 0;
    const write = response.write.bind(response);
    const end = response.end.bind(response);
    const count = (chunk: unknown) => {
      if (typeof chunk === 'string') bytes += Buffer.byteLength(chunk);
      else if (chunk instanceof Uint8Array) bytes += chunk.byteLength;
    };
    response.write = ((chunk: unknown, ...rest: unknown[]) => {
      count(chunk);
      return (write as (...args: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof response.write;
    response.end = ((chunk?: unknown, ...rest: unknown[]) => {
      count(chunk);
      const units = Math.max(1, Math.ceil(bytes / 4096));
      add(consistent ? units : units / 2);
      return (end as (...args: unknown[]) => ServerResponse)(chunk, ...rest);
    }) as typeof response.end;
  });
}

function writeUnits(operation: string, body: Record<string, unknown>): number {
  const unitsOf = (item: unknown) => Math.max(1, Math.ceil(Buffer.byteLength(JSON.stringify(item ?? {})) / 1024));
  if (operation === 'PutItem') return unitsOf(body.Item);
  if (operation === 'BatchWriteItem') {
    let units = 0;
    for (const requests of Object.values((body.RequestItems ?? {}) as Record<string, unknown[]>)) {
      for (const request of requests as { PutRequest?: { Item: unknown }; DeleteRequest?: unknown }[]) {
        units += request.PutRequest ? unitsOf(request.PutRequest.Item) : 1;
      }
    }
    return units;
  }
  // UpdateItem and DeleteItem are billed on the item's size, which the request alone does not show.
  return 1;
}
