import { type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  type DispatchOutcome,
  createTriggerDispatcher,
} from './dispatcher.js';
import { createDeliveryAgent, createHttpTarget } from './http-target.js';

// Issue 13 item 7: without a `timeout` a hung subscriber used to hold a delivery for good.

const agent = createDeliveryAgent();
let hung: Server;
let hungUrl = '';
const open: ServerResponse[] = [];
let dls: HttpSink;

beforeAll(async () => {
  hung = createServer((req, res) => {
    req.resume();
    open.push(res); // never answered
  });
  await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
  hungUrl = `http://127.0.0.1:${(hung.address() as AddressInfo).port}/`;
  dls = await startHttpSink();
});
afterAll(async () => {
  for (const r of open) r.destroy();
  hung.closeAllConnections();
  await new Promise((r) => hung.close(r));
  await dls.close();
  await agent.close();
});

describe('default per-attempt timeout', () => {
  it('is 30 seconds (docs/manifests.md, delivery)', () => {
    expect(DEFAULT_ATTEMPT_TIMEOUT_MS).toBe(30_000);
  });
  it('applies when the delivery sets no timeout: the hung attempt fails and is dead-lettered', async () => {
    const outcomes: DispatchOutcome[] = [];
    const dispatcher = createTriggerDispatcher({
      name: 'no-timeout',
      namespace: 'ns',
      filter: { match: () => 'pass' },
      subscriber: createHttpTarget(hungUrl, { agent, namespace: 'ns' }),
      deadLetter: createHttpTarget(dls.url, { agent, namespace: 'ns' }),
      policy: { retry: 1, backoffPolicy: 'linear', backoffDelayMs: 10 },
      defaultTimeoutMs: 300,
      onOutcome: (o) => outcomes.push(o),
    });
    const event = {
      attributes: { specversion: '1.0', id: 'hung-1', source: '/t', type: 't' },
    };
    await dispatcher.handle(event, { deliveryCount: 1 });
    expect(outcomes[0]).toMatchObject({ kind: 'dead-lettered', attempts: 2 });
    const [dead] = await dls.waitFor(1, 10_000);
    const reason = Buffer.from(dead!.events[0]!.attributes['knativeerrordata']!, 'base64');
    expect(reason.toString()).toMatch(/timeout after 300 ms/);
    expect(open.length).toBe(2);
    dispatcher.close();
  }, 30_000);
});
