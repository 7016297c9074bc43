import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  runCli,
  startTributary,
  type TributaryProcess,
} from '../../test/support/tributary-process.js';

// Runs examples/serving as its README says: `tributary run -f examples/serving`, then the tour.
const here = fileURLToPath(new URL('.', import.meta.url));
let trib: TributaryProcess;

const send = (type: string, source: string, data: unknown) =>
  runCli([
    'send',
    `${trib.baseUrl}/default/default`,
    '--type',
    type,
    '--source',
    source,
    '--data',
    JSON.stringify(data),
  ]);

beforeAll(async () => {
  trib = await startTributary(here);
});
afterAll(async () => {
  await trib?.stop();
});

describe('examples/serving', () => {
  it('greets through a command Service started from zero, shown by the event_display Service', async () => {
    const ready = await request(`${trib.baseUrl}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect((await send('com.example.hello', '/tour', { name: 'Ada' })).code).toBe(0);
    const shown = await trib.waitForLog(
      (l) =>
        String(l['msg']).startsWith('☁️  cloudevents.Event') &&
        String(l['msg']).includes('Hello, Ada!'),
      30_000,
    );
    expect(String(shown['msg'])).toContain('type: com.example.greeting');
    expect(trib.logs.some((l) => l['reason'] === 'cold start')).toBe(true);
  });

  it('runs a job per paid order and lists them with `tributary get jobs`', async () => {
    expect((await send('com.example.order.paid', '/shop', { order: 1, total: 42 })).code).toBe(0);
    expect((await send('com.example.order.paid', '/shop', { order: 2, total: 0 })).code).toBe(0);
    await trib.waitForLog((l) => String(l['msg']) === 'invoice for order 1: 42.00', 30_000);
    const started = Date.now();
    let statuses: string[] = [];
    while (Date.now() - started < 60_000) {
      const out = await runCli(['get', 'jobs', '--server', trib.baseUrl, '-o', 'json']);
      statuses = (JSON.parse(out.stdout) as { items: Array<{ status: string }> }).items
        .map((j) => j.status)
        .sort();
      if (statuses.join() === 'Complete,Failed') break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(statuses).toEqual(['Complete', 'Failed']);
  });
});
