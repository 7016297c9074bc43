import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTributary, type TributaryProcess } from '../../test/support/tributary-process.js';

// Runs the quickstart's own files: the event-display (on :8081, as the manifests say) and
// `tributary run -f examples/quickstart`, then walks the README's tour.
const here = fileURLToPath(new URL('.', import.meta.url));
let display: ChildProcess;
let displayLines: Array<{ path: string; attributes: Record<string, string>; data: string }> = [];
let trib: TributaryProcess;

function waitForDisplay(pred: (l: (typeof displayLines)[number]) => boolean, timeoutMs = 10_000) {
  return new Promise<(typeof displayLines)[number]>((resolve, reject) => {
    const started = Date.now();
    const tick = () => {
      const hit = displayLines.find(pred);
      if (hit) return resolve(hit);
      if (Date.now() - started > timeoutMs)
        return reject(new Error('event-display did not print the expected event'));
      setTimeout(tick, 25);
    };
    tick();
  });
}

beforeAll(async () => {
  display = spawn(process.execPath, [`${here}event-display.mjs`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve) => {
    let buf = '';
    display.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        if (line.startsWith('event-display listening')) resolve();
        if (line.startsWith('event-display {'))
          displayLines.push(JSON.parse(line.slice('event-display '.length)));
      }
    });
  });
  trib = await startTributary(here);
});

afterAll(async () => {
  await trib?.stop();
  display?.kill('SIGTERM');
  displayLines = [];
});

async function send(type: string, id: string, data = '{}') {
  const res = await request(`${trib.baseUrl}/default/default`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/tour',
      'ce-type': type,
      'content-type': 'application/json',
    },
    body: data,
  });
  await res.body.dump();
  expect(res.statusCode).toBe(202);
}

describe('quickstart', () => {
  it('shows a new order on the event-display', async () => {
    await send('com.example.order.created', 'order-1', '{"order":1}');
    const line = await waitForDisplay((l) => l.attributes['id'] === 'order-1');
    expect(line.path).toBe('/');
    expect(JSON.parse(line.data)).toEqual({ order: 1 });
  });

  it('routes a hello through the in-process greeter and shows its reply', async () => {
    await send('com.example.hello', 'hello-1', '{"name":"Ada"}');
    const line = await waitForDisplay((l) => l.attributes['type'] === 'com.example.greeting');
    expect(JSON.parse(line.data)).toEqual({ greeting: 'Hello, Ada!' });
  });

  it('retries a failing payment sink twice, then dead-letters the event', async () => {
    await send('com.example.payment.captured', 'pay-1');
    const dead = await waitForDisplay(
      (l) => l.path === '/dead-letter' && l.attributes['id'] === 'pay-1',
    );
    expect(dead.attributes['knativeerrorcode']).toBe('503');
    expect(dead.attributes['knativeerrordest']).toBe('http://127.0.0.1:8081/fail');
    expect(
      displayLines.filter((l) => l.path === '/fail' && l.attributes['id'] === 'pay-1'),
    ).toHaveLength(3);
  });
});
