// Local runtime: dynalite (DynamoDB) on 127.0.0.1, closed without losing a request. dynalite runs an
// action as several database steps and throws (an uncaught `Database is closed`) when the database
// closes between two of them; so requests are counted, new ones get a 503 once closing starts
// (the SDK retries them as it would a throttled call), and the database closes when none is left.
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import dynalite from 'dynalite';
import { closeServer, listenOnLoopback } from './loopback-http';

export interface LocalDynamoDb {
  readonly url: string;
  /** Waits for the requests in flight (10 s at most), then closes the server and its database. */
  close(): Promise<void>;
}

/** Starts dynalite on loopback, in memory or on LevelDB under `dir`. */
export async function startLocalDynamoDb(dir: string | undefined): Promise<LocalDynamoDb> {
  const server: Server = dynalite({
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
    ...(dir ? { path: dir } : {}),
  });
  const [handle] = server.listeners('request') as ((request: IncomingMessage, response: ServerResponse) => void)[];
  if (!handle) throw new Error('dynalite no longer serves requests through a request listener');
  server.removeAllListeners('request');
  let inFlight = 0;
  let closing = false;
  let drained: (() => void) | undefined;
  server.on('request', (request: IncomingMessage, response: ServerResponse) => {
    if (closing) {
      response.writeHead(503, { 'content-type': 'application/x-amz-json-1.0', connection: 'close' });
      response.end(JSON.stringify({ __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailable' }));
      return;
    }
    inFlight += 1;
    response.once('close', () => {
      inFlight -= 1;
      if (inFlight === 0) drained?.();
    });
    handle(request, response);
  });
  const port = await listenOnLoopback(server);
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      closing = true;
      if (inFlight > 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, 10_000);
          drained = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
      await closeServer(server);
    },
  };
}
