import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '@tributary/core';
import { EventRejectedError, ProducerValidationError } from '@tributary/sdk';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import type { FunctionEvent } from '@tributary/function';
import { type Mesh, MeshStateError, createMesh } from '@tributary/cli';

const broker = (name: string, namespace = 'default') => ({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Broker',
  metadata: { name, namespace },
});
const trigger = (name: string, brokerName: string, uri: string, type?: string) => ({
  apiVersion: 'eventing.knative.dev/v1',
  kind: 'Trigger',
  metadata: { name },
  spec: {
    broker: brokerName,
    ...(type ? { filter: { attributes: { type } } } : {}),
    subscriber: { uri },
  },
});

const meshes: Mesh[] = [];
const sinks: HttpSink[] = [];
afterEach(async () => {
  await Promise.all(meshes.splice(0).map((m) => m.stop({ drainMs: 1000 })));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

async function mesh(...args: Parameters<typeof createMesh>): Promise<Mesh> {
  const m = await createMesh(args[0], { logger: 'silent', ...args[1] });
  meshes.push(m);
  return m;
}

function waitFor<T>(list: T[], n: number, ms = 10_000): Promise<T[]> {
  const deadline = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const tick = () => {
      if (list.length >= n) resolve(list);
      else if (Date.now() > deadline) reject(new Error(`expected ${n} items, got ${list.length}`));
      else setTimeout(tick, 10);
    };
    tick();
  });
}

describe('createMesh', () => {
  it('runs resources: publish (friendly input and CloudEvent) reaches an HTTP trigger; the ingress URL works', async () => {
    const sink = await startHttpSink();
    sinks.push(sink);
    const m = await mesh({ resources: [broker('default'), trigger('all', 'default', sink.url)] });
    const url = await m.start();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(m.url).toBe(url);
    expect(
      await m.publish('default', 'default', { type: 'com.example.a', data: { n: 1 } }),
    ).toEqual({ status: 202 });
    await m.publish('default', 'default', {
      attributes: { specversion: '1.0', id: 'ce-2', source: '/raw', type: 'com.example.b' },
    });
    const res = await fetch(`${url}/default/default`, {
      method: 'POST',
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'h3',
        'ce-source': '/http',
        'ce-type': 'com.example.c',
      },
    });
    expect(res.status).toBe(202);
    await sink.waitFor(3, 10_000);
    const byType = Object.fromEntries(sink.events.map((e) => [e.attributes['type'], e.attributes]));
    expect(byType['com.example.a']).toMatchObject({ source: '/tributary/mesh' });
    expect(byType['com.example.b']).toMatchObject({ id: 'ce-2', source: '/raw' });
    expect(byType['com.example.c']).toMatchObject({ id: 'h3' });
    expect(m.statuses?.notReady()).toEqual([]);
  });

  it('loads files and directories', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mesh-files-'));
    try {
      await writeFile(
        join(dir, 'b.yaml'),
        'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata:\n  name: orders\n',
      );
      const m = await mesh({ files: dir });
      expect(m.topology.brokers.map((b) => b.metadata.name)).toEqual(['orders']);
      await m.start();
      expect((await m.publish('default', 'orders', { type: 't', source: '/s' })).status).toBe(202);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('rejects with ConfigError listing every problem', async () => {
    const err = await createMesh({
      resources: [
        broker('b'),
        {
          ...trigger('t', 'b', 'not a url'),
          spec: { broker: 'b', subscriber: { uri: 'ftp://x' }, extra: 1 },
        },
      ],
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const text = (err as ConfigError).problems
      .map((p) => `${p.resource} ${p.path}: ${p.message}`)
      .join('\n');
    expect(text).toMatch(/Trigger\/t/);
    expect(text).toMatch(/extra/);
    const missing = await createMesh({ files: '/nonexistent/tributary' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(ConfigError);
    expect((missing as Error).message).toMatch(/cannot read/);
  });

  it('publish: typed errors for a missing broker, an invalid event and a mesh that is not running', async () => {
    const m = await mesh({ resources: [broker('default')] });
    await expect(m.publish('default', 'default', { type: 't' })).rejects.toBeInstanceOf(
      MeshStateError,
    );
    await m.start();
    const missing = await m.publish('default', 'nope', { type: 't' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(EventRejectedError);
    expect((missing as EventRejectedError).status).toBe(404);
    const invalid = await m
      .publish('default', 'default', { type: 't', extensions: { 'Bad-Name': 1 } })
      .catch((e: unknown) => e);
    expect(invalid).toBeInstanceOf(ProducerValidationError);
    expect((invalid as ProducerValidationError).field).toBe('extensions.Bad-Name');
    await m.stop();
    await expect(m.publish('default', 'default', { type: 't' })).rejects.toThrow(/stopped/);
  });
});

describe('Mesh.subscribe', () => {
  it('delivers matching events to in-process subscribers; a returned event is a reply to the broker', async () => {
    const m = await mesh({ resources: [broker('default')] });
    const orders: FunctionEvent[] = [];
    const replies: FunctionEvent[] = [];
    const everything: FunctionEvent[] = [];
    m.subscribe('default', 'default', { attributes: { type: 'order.created' } }, (e) => {
      orders.push(e);
      return { type: 'order.confirmed', data: { id: (e.data as { id: string }).id } };
    });
    m.subscribe(
      'default',
      'default',
      { filters: [{ exact: { type: 'order.confirmed' } }] },
      (e) => {
        replies.push(e);
      },
    );
    m.subscribe('default', 'default', (e) => void everything.push(e));
    await m.start();
    await m.publish('default', 'default', { type: 'order.created', data: { id: 'o1' } });
    await m.publish('default', 'default', { type: 'other' });
    await waitFor(replies, 1);
    await waitFor(everything, 3);
    expect(orders.map((e) => e.data)).toEqual([{ id: 'o1' }]);
    expect(replies[0]).toMatchObject({ type: 'order.confirmed', data: { id: 'o1' } });
    expect(everything.map((e) => e.type).sort()).toEqual([
      'order.confirmed',
      'order.created',
      'other',
    ]);
  });

  it('retries a subscriber that throws, as for any trigger', async () => {
    const m = await mesh({
      resources: [
        {
          ...broker('default'),
          spec: { delivery: { retry: 3, backoffPolicy: 'linear', backoffDelay: 'PT0.01S' } },
        },
      ],
    });
    let calls = 0;
    const done: string[] = [];
    m.subscribe('default', 'default', (e) => {
      calls++;
      if (calls < 3) throw new Error('not yet');
      done.push(e.id);
    });
    await m.start();
    await m.publish('default', 'default', { type: 't', id: 'retry-me' });
    await waitFor(done, 1);
    expect(calls).toBe(3);
    expect(done).toEqual(['retry-me']);
  });

  it('unsubscribe stops calls; bad filters, unknown brokers and late calls are refused', async () => {
    const m = await mesh({ resources: [broker('default')] });
    const seen: string[] = [];
    const other: string[] = [];
    const sub = m.subscribe('default', 'default', (e) => void seen.push(e.id));
    expect(sub.name).toBe('tributary-mesh-subscriber-1');
    m.subscribe('default', 'default', (e) => void other.push(e.id));
    expect(() => m.subscribe('default', 'nope', () => undefined)).toThrow(
      /broker 'default\/nope' does not exist \(brokers: default\/default\)/,
    );
    const bad = (() => {
      try {
        m.subscribe('default', 'default', { filters: [{ cesql: "type = 'x" }] }, () => undefined);
      } catch (err) {
        return err;
      }
    })();
    expect(bad).toBeInstanceOf(ConfigError);
    expect((bad as ConfigError).problems[0]?.path).toMatch(/filters/);
    await m.start();
    expect(() => m.subscribe('default', 'default', () => undefined)).toThrow(MeshStateError);
    await m.publish('default', 'default', { type: 't', id: 'one' });
    await waitFor(seen, 1);
    sub.unsubscribe();
    await m.publish('default', 'default', { type: 't', id: 'two' });
    await waitFor(other, 2); // the other subscriber got 'two'; the unsubscribed one is acked without a call
    expect(other).toEqual(['one', 'two']);
    expect(seen).toEqual(['one']);
  });
});
