// The bare baseline for footprint figures: a node:http server that answers every request with 200 and
// nothing else. `node bench/bare-server.mjs <port>`; prints "listening" once it accepts connections.
import http from 'node:http';

const port = Number(process.argv[2] ?? 0);
const server = http.createServer((req, res) => {
  req.resume();
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('ok');
});
server.listen(port, '127.0.0.1', () => console.log(`listening ${server.address().port}`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
