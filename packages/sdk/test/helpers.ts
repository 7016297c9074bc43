import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RecordedRequest } from '@tributary/testkit';
import { type CloudEventV1, HTTP } from 'cloudevents';

/**
 * Decodes what the SDK sent with the `cloudevents` npm package (an implementation independent of
 * @tributary/core): one event for binary/structured, an array for batch.
 */
export function parseWithCloudEventsSdk(
  req: RecordedRequest,
): CloudEventV1<unknown> | CloudEventV1<unknown>[] {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
  return HTTP.toEvent({ headers, body: Buffer.from(req.body).toString('utf8') });
}

/** A plain node:http server answering 202 that counts the TCP connections it accepted. */
export async function startCountingServer(): Promise<{
  url: string;
  connections: () => number;
  requests: () => number;
  close: () => Promise<void>;
}> {
  let connections = 0;
  let requests = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      requests++;
      res.writeHead(202).end();
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/default/default`,
    connections: () => connections,
    requests: () => requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
