// Local runtime: what every loopback endpoint of the local cloud does the same way: listen on
// 127.0.0.1 with an OS-assigned port, read a request body, and close with its open connections.
import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Starts `server` on 127.0.0.1 with a port the OS assigns; resolves to that port. */
export async function listenOnLoopback(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

/** The whole body of `request`; undefined as soon as it grows past `maxBytes`. */
export async function readBodyBytes(
  request: IncomingMessage,
  maxBytes = Number.POSITIVE_INFINITY,
): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request) {
    size += (chunk as Buffer).length;
    if (size > maxBytes) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

/** The whole body of `request` as UTF-8 text. */
export async function readBodyText(request: IncomingMessage): Promise<string> {
  return ((await readBodyBytes(request)) as Buffer).toString('utf8');
}

/** Stops `server`, dropping keep-alive connections instead of waiting for them to idle out. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.closeAllConnections();
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
