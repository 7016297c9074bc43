// A tiny HTTP event-display: prints every CloudEvent it receives. Requests to /fail are answered
// 503 (a sink that is down), so the quickstart can show retries and dead-lettering.
import http from 'node:http';
import { decodeHttp } from '@tributary/core';

const port = Number(process.env.PORT ?? 8081);

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const path = req.url ?? '/';
    try {
      const { events } = decodeHttp(req.headers, Buffer.concat(chunks));
      for (const event of events) {
        const data = event.data ? Buffer.from(event.data).toString('utf8') : '';
        const line = { path, attributes: event.attributes, data };
        process.stdout.write(`event-display ${JSON.stringify(line)}\n`);
      }
    } catch (err) {
      process.stdout.write(`event-display ${path} not a CloudEvent: ${err.message}\n`);
    }
    if (path.startsWith('/fail')) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'payment service is down' }));
      return;
    }
    res.writeHead(202);
    res.end();
  });
});

server.listen(port, '127.0.0.1', () =>
  process.stdout.write(`event-display listening on http://127.0.0.1:${port}/\n`),
);
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
