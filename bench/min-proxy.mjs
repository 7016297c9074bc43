// The floor of any two-hop broker on this machine: a bare node:http server that answers 202 and
// forwards the body to the sink with undici (keep-alive). No validation, no queue, no retries.
import http from 'node:http';
import { Agent, request } from 'undici';

const sinkUrl = process.argv[2];
const agent = new Agent({ connections: 128 });
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    res.writeHead(202);
    res.end();
    const headers = {};
    for (const [k, v] of Object.entries(req.headers))
      if (k.startsWith('ce-') || k === 'content-type') headers[k] = v;
    request(sinkUrl, {
      method: 'POST',
      headers,
      body: Buffer.concat(chunks),
      dispatcher: agent,
    }).then(
      (r) => r.body.dump(),
      () => {},
    );
  });
});
server.listen(0, '127.0.0.1', () => process.send({ kind: 'ready', port: server.address().port }));
process.on('message', (m) => m === 'exit' && process.exit(0));
