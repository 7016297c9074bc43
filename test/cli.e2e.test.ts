import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { brokerWithTrigger } from './support/manifests.js';
import { startHttpSink } from '@tributary/testkit';
import { runCli, startTributary, writeManifests } from './support/tributary-process.js';

// The `tributary` command as a user runs it: validate, match and send.
describe('tributary validate', () => {
  it('exits 0 for valid manifests', async () => {
    const r = await runCli(['validate', '-f', 'examples/quickstart']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/valid: 7 resource/);
  });

  it('prints every problem as file:line:col: Kind/name: field: message and exits 1', async () => {
    const dir = writeManifests({
      'bad.yaml': `apiVersion: eventing.knative.dev/v1
kind: Triger
metadata: { name: a }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t }
spec:
  broker: default
  subscribr: { uri: http://127.0.0.1:1/ }
  delivery:
    backoffDelay: 5s
    backoffPolicy: expo
  filters:
    - exact: { type: a }
      prefix: { type: b }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t2 }
spec:
  broker: default
  subscriber: { uri: http://127.0.0.1:1/ }
  filters:
    - cesql: "type = 'x' AND"
`,
    });
    const file = path.join(dir, 'bad.yaml');
    const r = await runCli(['validate', '-f', dir]);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toContainEqual(
      expect.stringMatching(new RegExp(`^${file}:2:7: .*Triger.*did you mean 'Trigger'`)),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${file}:10:3: Trigger/t: spec.subscribr: .*did you mean 'subscriber'`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${file}:12:\\d+: Trigger/t: spec.delivery.backoffDelay: .*ISO-8601`),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^${file}:13:\\d+: Trigger/t: spec.delivery.backoffPolicy: .*linear, exponential`,
        ),
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/Trigger\/t: spec\.filters\[0\]: .*multiple dialects/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        new RegExp(`^${file}:25:\\d+: Trigger/t2: spec.filters\\[0\\].cesql: .*position`),
      ),
    );
  });

  it('refuses to run invalid manifests and starts nothing', async () => {
    const dir = writeManifests({
      'x.yaml': 'apiVersion: eventing.knative.dev/v1\nkind: Broker\nmetadata: { name: Bad_Name }\n',
    });
    const r = await runCli(['run', '-f', dir, '--port', '0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/metadata\.name/);
  });
});

describe('tributary match', () => {
  const events = () => {
    const dir = writeManifests({});
    const file = path.join(dir, 'events.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          specversion: '1.0',
          id: '1',
          source: '/shop',
          type: 'com.example.order.created',
          data: { a: 1 },
        },
        { specversion: '1.0', id: '2', source: '/x', type: 'com.example.payment.refund' },
      ]),
    );
    return file;
  };

  it('prints pass or fail per trigger and the entry that decided', async () => {
    const r = await runCli(['match', '-f', 'examples/quickstart', '--event', events()]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/default\/default\/orders\s+pass\s+filters\[0\]\.exact type/);
    expect(r.stdout).toMatch(/default\/default\/payments\s+pass/);
    expect(r.stdout).toMatch(/default\/default\/greet\s+fail\s+filter\.attributes\.type/);
  });

  it('prints JSON rows with -o json', async () => {
    const r = await runCli([
      'match',
      '-f',
      'examples/quickstart',
      '--event',
      events(),
      '-o',
      'json',
    ]);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows).toHaveLength(8);
    expect(rows).toContainEqual({
      event: 0,
      namespace: 'default',
      broker: 'default',
      trigger: 'orders',
      result: 'pass',
    });
    expect(rows).toContainEqual({
      event: 1,
      namespace: 'default',
      broker: 'default',
      trigger: 'orders',
      result: 'fail',
    });
    expect(rows).toContainEqual({
      event: 1,
      namespace: 'default',
      broker: 'default',
      trigger: 'payments',
      result: 'pass',
    });
  });

  it('names a bad event file', async () => {
    const dir = writeManifests({});
    const file = path.join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ specversion: '1.0', id: '1', type: 't' }));
    const r = await runCli(['match', '-f', 'examples/quickstart', '--event', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain('source');
  });
});

describe('tributary send', () => {
  it('posts one event in binary and structured mode', async () => {
    const sink = await startHttpSink();
    const dir = writeManifests({
      'b.yaml': brokerWithTrigger(sink.url),
    });
    const trib = await startTributary(dir);
    try {
      for (const mode of ['binary', 'structured']) {
        const r = await runCli([
          'send',
          `${trib.baseUrl}/default/default`,
          '--type',
          't.sent',
          '--source',
          '/cli',
          '--id',
          `send-${mode}`,
          '--data',
          '{"k":1}',
          '-e',
          'partitionkey=p1',
          '--mode',
          mode,
        ]);
        expect(r.code).toBe(0);
        expect(r.stdout).toMatch(new RegExp(`^202 send-${mode}`));
        const e = await sink.waitForEvent((x) => x.attributes['id'] === `send-${mode}`);
        expect(e.attributes['partitionkey']).toBe('p1');
        expect(JSON.parse(Buffer.from(e.data!).toString())).toEqual({ k: 1 });
      }
      const bad = await runCli([
        'send',
        `${trib.baseUrl}/default/nope`,
        '--type',
        't',
        '--source',
        '/cli',
      ]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toMatch(/^404 /);
    } finally {
      await trib.stop();
      await sink.close();
    }
  });
});
