// A CloudEvents service for a command Service: listens on $PORT, replies with a greeting event.
import http from 'node:http';

http
  .createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      let name = 'world';
      try {
        name = JSON.parse(body).name ?? name;
      } catch {
        // not JSON: greet the world
      }
      res.writeHead(200, {
        'ce-specversion': '1.0',
        'ce-id': `greeting-${req.headers['ce-id']}`,
        'ce-source': '/examples/serving/greeter',
        'ce-type': 'com.example.greeting',
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ text: `${process.env.GREETING}, ${name}!`, pid: process.pid }));
    });
  })
  .listen(Number(process.env.PORT), '127.0.0.1');
