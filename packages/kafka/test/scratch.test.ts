import { it } from 'vitest';
import { createKafkaBackend } from '../src/index.js';
it('two', async () => {
  const mk = () =>
    createKafkaBackend({
      brokers: ['127.0.0.1:33747'],
      partitions: 4,
      sessionTimeoutMs: 6000,
      rebalanceTimeoutMs: 6000,
      heartbeatIntervalMs: 300,
      logger: {
        debug: (o: any, m: string) =>
          m.includes('joined') && console.log(JSON.stringify(o.assignment)),
        info() {},
        warn: (o: any, m: string) => console.log('WARN', m),
        error() {},
        child() {
          return this;
        },
      } as any,
    });
  const a = mk();
  await a.start();
  const sa = await a.subscribe('t9', 'g9', async () => {}, { ordered: false, concurrency: 10 });
  await new Promise((r) => setTimeout(r, 1000));
  const b = mk();
  await b.start();
  const sb = await b.subscribe('t9', 'g9', async () => {}, { ordered: false, concurrency: 10 });
  await new Promise((r) => setTimeout(r, 12000));
  await sa.close();
  await sb.close();
  await a.close();
  await b.close();
}, 60000);
