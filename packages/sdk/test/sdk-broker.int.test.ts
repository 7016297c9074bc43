import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import { createProducer, defineEvent, EventRejectedError, type ProducerMode } from '@tributary/sdk';

// The SDK against a real `tributary run` process: Broker + Trigger (subscriber: a testkit sink),
// events sent in every content mode must reach the subscriber. Needs the CLI built (`pnpm exec tsc -b`).
const repo = fileURLToPath(new URL('../../../', import.meta.url));
const bin = join(repo, 'packages/cli/bin/tributary.js');
const built = existsSync(bin) && existsSync(join(repo, 'packages/cli/dist/main.js'));
if (!built) {
  // Never skipped: CI builds before testing, so a missing build is an error to fix, not a skip.
  throw new Error(
    `the tributary CLI is not built (${join(repo, 'packages/cli/dist/main.js')} is missing): ` +
      'run `pnpm exec tsc -b` before the tests (or `pnpm test`, which builds first)',
  );
}

let dir: string;
let sink: HttpSink;
let child: ChildProcess | undefined;
let brokerUrl: string;
let stderr = '';

/** Spawns `tributary run -f <dir> --port 0` and resolves with the `url` of its `tributary running` log line. */
function startTributary(manifestDir: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [bin, 'run', '-f', manifestDir, '--port', '0'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let buf = '';
    const timer = setTimeout(
      () =>
        reject(
          new Error(`tributary did not log 'tributary running' within 20 s; stderr:\n${stderr}`),
        ),
      20_000,
    );
    proc.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    proc.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const log = JSON.parse(line) as { msg?: string; url?: string };
          if (log.msg === 'tributary running' && log.url) {
            clearTimeout(timer);
            resolve(log.url.replace(/\/$/, ''));
          }
        } catch {
          // not a JSON log line
        }
      }
    });
    proc.once('exit', (code) => {
      clearTimeout(timer);
      reject(
        new Error(`tributary exited with code ${code} before it was running; stderr:\n${stderr}`),
      );
    });
  });
}

describe('SDK → tributary run (real broker)', () => {
  beforeAll(async () => {
    sink = await startHttpSink();
    dir = await mkdtemp(join(tmpdir(), 'tributary-sdk-'));
    await writeFile(
      join(dir, 'broker.yaml'),
      [
        'apiVersion: eventing.knative.dev/v1',
        'kind: Broker',
        'metadata:',
        '  name: orders',
        '  namespace: shop',
        '---',
        'apiVersion: eventing.knative.dev/v1',
        'kind: Trigger',
        'metadata:',
        '  name: to-sink',
        '  namespace: shop',
        'spec:',
        '  broker: orders',
        '  filter:',
        '    attributes:',
        '      source: /sdk-test',
        '  subscriber:',
        `    uri: ${sink.url}/received`,
        '',
      ].join('\n'),
    );
    brokerUrl = `${await startTributary(dir)}/shop/orders`;
  }, 30_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    await sink?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const received = (runId: string) => sink.events.filter((e) => e.attributes['runid'] === runId);

  it.each<ProducerMode>(['binary', 'structured', 'batch'])(
    '%s mode: the broker accepts (202) and the trigger delivers',
    async (mode) => {
      const producer = createProducer({
        url: brokerUrl,
        source: '/sdk-test',
        mode,
        batch: { maxEvents: 3, maxDelayMs: 20 },
      });
      const runId = `run${mode}`;
      try {
        const results = await Promise.all(
          [1, 2, 3].map((n) =>
            producer.send({
              type: 'com.example.order.created',
              subject: `o-${n}`,
              data: { n },
              extensions: { runid: runId },
            }),
          ),
        );
        expect(results.every((r) => r.status === 202)).toBe(true);
        const batch = await producer.sendBatch(
          [4, 5].map((n) => ({
            type: 'com.example.order.created',
            data: { n },
            extensions: { runid: runId },
          })),
        );
        expect(batch.every((r) => r.status === 202)).toBe(true);
      } finally {
        await producer.close();
      }
      const deadline = Date.now() + 10_000;
      while (received(runId).length < 5 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const events = received(runId);
      expect(
        events
          .map((e) => JSON.parse(Buffer.from(e.data!).toString('utf8')) as { n: number })
          .map((d) => d.n)
          .sort(),
      ).toEqual([1, 2, 3, 4, 5]);
      expect(
        events.every(
          (e) =>
            e.attributes['type'] === 'com.example.order.created' &&
            e.attributes['source'] === '/sdk-test',
        ),
      ).toBe(true);
    },
  );

  it('typed events reach the subscriber; an oversized event is rejected by the broker with 413', async () => {
    const Shipped = defineEvent({
      name: 'Shipped',
      type: 'com.example.order.shipped',
      source: '/sdk-test',
      schema: z.object({ orderId: z.string() }),
    });
    const producer = createProducer({ url: brokerUrl });
    try {
      await producer.send(Shipped, { orderId: 'o-9' }, { extensions: { runid: 'typed' } });
      const deadline = Date.now() + 10_000;
      while (received('typed').length < 1 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      expect(received('typed')[0]?.attributes['type']).toBe('com.example.order.shipped');

      // The broker's own limit: a body over 1 MiB is answered with 413, which is not retried.
      const err = await producer
        .send({
          type: 'x',
          source: '/sdk-test',
          data: 'x'.repeat(1_100_000),
          datacontenttype: 'text/plain',
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(EventRejectedError);
      expect((err as EventRejectedError).status).toBe(413);
      expect((err as EventRejectedError).attempts).toBe(1);
    } finally {
      await producer.close();
    }
  });
});
