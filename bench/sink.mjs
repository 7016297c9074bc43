// Benchmark sink: a separate process with a plain node:http server that accepts CloudEvents
// (any mode), answers 202, and records end-to-end latency from the `benchsent` extension
// (process.hrtime-free: wall clock in microseconds, same machine). Reports over IPC.
import http from 'node:http';

let count = 0;
let latencies = [];
const server = http.createServer((req, res) => {
  const sent = req.headers['ce-benchsent'];
  req.on('data', () => {});
  req.on('end', () => {
    count++;
    if (sent !== undefined) latencies.push(Number(process.hrtime.bigint() / 1000n) - Number(sent));
    res.writeHead(202);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => process.send({ kind: 'ready', port: server.address().port }));
process.on('message', (m) => {
  if (m === 'reset') {
    count = 0;
    latencies = [];
    process.send({ kind: 'reset' });
  } else if (m === 'report') {
    process.send({ kind: 'report', count, latencies });
  } else if (m === 'exit') {
    server.close();
    process.exit(0);
  }
});
