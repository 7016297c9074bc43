import { randomUUID } from 'node:crypto';
import { makeEvent, startKafkaMock, type KafkaMockCluster } from '@tributary/testkit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createKafkaBackend } from '../src/index.js';

let cluster: KafkaMockCluster;
beforeAll(async () => {
  cluster = await startKafkaMock();
}, 30_000);
afterAll(async () => {
  await cluster?.stop();
});

const backend = () =>
  createKafkaBackend({
    brokers: cluster.brokers,
    partitions: 4,
    sessionTimeoutMs: 3_000,
    rebalanceTimeoutMs: 3_000,
    heartbeatIntervalMs: 300,
    redeliveryDelayMs: 20,
  });

it('ordered: keeps the order of each partitionkey over 4 partitions, retrying a failure in place', async () => {
  const b = backend();
  await b.start();
  const topic = `ord-${randomUUID()}`;
  const seen = new Map<string, number[]>();
  let failed = false;
  let done = 0;
  const sub = await b.subscribe(
    topic,
    `g-${randomUUID()}`,
    async (e) => {
      const key = e.attributes['partitionkey']!;
      const n = Number(e.attributes['seq']);
      if (key === 'k1' && n === 3 && !failed) {
        failed = true;
        throw new Error('once');
      }
      seen.set(key, [...(seen.get(key) ?? []), n]);
      done++;
    },
    { ordered: true, concurrency: 1 },
  );
  const events = [];
  for (let n = 0; n < 10; n++)
    for (const k of ['k0', 'k1', 'k2', 'k3'])
      events.push(makeEvent({ partitionkey: k, seq: String(n) }));
  await b.publish(topic, events);
  const deadline = Date.now() + 15_000;
  while (done < 40 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  for (const k of ['k0', 'k1', 'k2', 'k3'])
    expect(seen.get(k)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  expect(failed).toBe(true);
  await sub.close({ drainMs: 100 });
  await b.close();
}, 30_000);

it('a new subscription starts at the latest offset unless it asks for earliest', async () => {
  const b = backend();
  await b.start();
  const topic = `start-${randomUUID()}`;
  await b.publish(topic, [makeEvent({ id: 'old' })]);
  const latest: string[] = [];
  const earliest: string[] = [];
  const s1 = await b.subscribe(
    topic,
    `g-${randomUUID()}`,
    async (e) => void latest.push(e.attributes['id']!),
    {
      ordered: false,
      concurrency: 4,
    },
  );
  const s2 = await b.subscribe(
    topic,
    `g-${randomUUID()}`,
    async (e) => void earliest.push(e.attributes['id']!),
    {
      ordered: false,
      concurrency: 4,
      startFrom: 'earliest',
    },
  );
  await b.publish(topic, [makeEvent({ id: 'new' })]);
  const deadline = Date.now() + 15_000;
  while ((latest.length < 1 || earliest.length < 2) && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  expect(latest).toEqual(['new']);
  expect(earliest.sort()).toEqual(['new', 'old']);
  await Promise.all([s1.close({ drainMs: 100 }), s2.close({ drainMs: 100 })]);
  await b.close();
}, 30_000);

it('keyless and keyed events published together all arrive once (one produce request)', async () => {
  const b = backend();
  await b.start();
  const topic = `mixed-${randomUUID()}`;
  const seen = new Map<string, number>();
  const sub = await b.subscribe(
    topic,
    `g-${randomUUID()}`,
    async (e) => void seen.set(e.attributes['id']!, (seen.get(e.attributes['id']!) ?? 0) + 1),
    { ordered: false, concurrency: 8 },
  );
  const ids: string[] = [];
  const publishes = [];
  // Published in one turn: one produce request, its keyless records carried as one message.
  for (let n = 0; n < 12; n++) {
    const e = makeEvent(n % 3 === 0 ? { partitionkey: `k${n}` } : {});
    ids.push(e.attributes['id']!);
    publishes.push(b.publish(topic, [e]));
  }
  await Promise.all(publishes);
  const deadline = Date.now() + 15_000;
  while (seen.size < ids.length && Date.now() < deadline)
    await new Promise((r) => setTimeout(r, 20));
  await new Promise((r) => setTimeout(r, 200));
  expect([...seen.keys()].sort()).toEqual([...ids].sort());
  expect([...seen.values()].every((c) => c === 1)).toBe(true);
  await sub.close({ drainMs: 100 });
  await b.close();
}, 30_000);

it('unordered: a handler that throws (synchronously, or rejects) gets the event again as delivery 2', async () => {
  const b = backend();
  await b.start();
  const topic = `retry-${randomUUID()}`;
  const counts = new Map<string, number[]>();
  const sub = await b.subscribe(
    topic,
    `g-${randomUUID()}`,
    (e, { deliveryCount }) => {
      const id = e.attributes['id']!;
      counts.set(id, [...(counts.get(id) ?? []), deliveryCount]);
      if (deliveryCount === 1 && id.endsWith('sync')) throw new Error('sync throw');
      if (deliveryCount === 1 && id.endsWith('async')) return Promise.reject(new Error('rejected'));
      return Promise.resolve();
    },
    { ordered: false, concurrency: 4 },
  );
  await b.publish(topic, [
    makeEvent({ id: 'e-sync' }),
    makeEvent({ id: 'e-async' }),
    makeEvent({ id: 'e-ok' }),
  ]);
  const deadline = Date.now() + 15_000;
  while ((counts.get('e-sync')?.length ?? 0) < 2 || (counts.get('e-async')?.length ?? 0) < 2) {
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  await new Promise((r) => setTimeout(r, 200));
  expect(counts.get('e-sync')).toEqual([1, 2]);
  expect(counts.get('e-async')).toEqual([1, 2]);
  expect(counts.get('e-ok')).toEqual([1]);
  await sub.close({ drainMs: 100 });
  await b.close();
}, 30_000);
