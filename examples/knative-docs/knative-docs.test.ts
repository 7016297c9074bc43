import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startTributary, type TributaryProcess } from '../../test/support/tributary-process.js';

// Runs each of Knative's documentation samples in examples/knative-docs unchanged with
// `tributary run -f <dir>`, does what its README says, and checks what the event_display
// Services print. The PingSource samples wait for the next full minute, so they run concurrently.
const dir = (name: string) => fileURLToPath(new URL(`./${name}/`, import.meta.url));
const procs: TributaryProcess[] = [];
afterAll(async () => {
  await Promise.all(procs.map((p) => p.stop()));
});

async function run(name: string): Promise<TributaryProcess> {
  const p = await startTributary(dir(name));
  procs.push(p);
  return p;
}

type Log = Record<string, unknown>;
/** A line event_display printed: `resource` names the Service, `event` holds the attributes. */
const displayed =
  (service: string, pred: (attrs: Record<string, string>, text: string) => boolean) => (l: Log) =>
    l['resource'] === service &&
    String(l['msg']).startsWith('☁️  cloudevents.Event') &&
    pred((l['event'] ?? {}) as Record<string, string>, String(l['msg']));

const PING_WAIT = 150_000;

describe.concurrent("Knative's documentation samples", () => {
  it('broker-trigger: each Trigger passes what its filter says to its event_display Service', async () => {
    const p = await run('broker-trigger');
    const curl = async (id: string, type: string, source: string, msg: string) => {
      const res = await request(`${p.baseUrl}/event-example/default`, {
        method: 'POST',
        headers: {
          'Ce-Id': id,
          'Ce-Specversion': '1.0',
          'Ce-Type': type,
          'Ce-Source': source,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({ msg }),
      });
      await res.body.dump();
      expect(res.statusCode).toBe(202);
    };
    await curl('say-hello', 'greeting', 'not-sendoff', 'Hello Knative!');
    await curl('say-goodbye', 'not-greeting', 'sendoff', 'Goodbye Knative!');
    await curl('say-hello-goodbye', 'greeting', 'sendoff', 'Hello Knative! Goodbye Knative!');
    const hello = 'Service/event-example/hello-display';
    const goodbye = 'Service/event-example/goodbye-display';
    const shown = await p.waitForLog(
      displayed(hello, (a) => a['id'] === 'say-hello'),
      30_000,
    );
    expect(String(shown['msg'])).toContain('"msg": "Hello Knative!"');
    await p.waitForLog(
      displayed(goodbye, (a) => a['id'] === 'say-goodbye'),
      30_000,
    );
    await p.waitForLog(
      displayed(hello, (a) => a['id'] === 'say-hello-goodbye'),
      30_000,
    );
    await p.waitForLog(
      displayed(goodbye, (a) => a['id'] === 'say-hello-goodbye'),
      30_000,
    );
    const ids = (service: string) =>
      p.logs
        .filter(displayed(service, () => true))
        .map((l) => (l['event'] as Record<string, string>)['id'])
        .sort();
    expect(ids(hello)).toEqual(['say-hello', 'say-hello-goodbye']);
    expect(ids(goodbye)).toEqual(['say-goodbye', 'say-hello-goodbye']);
  }, 60_000);

  it(
    'sequence: the PingSource event passes three appenders and reaches event_display',
    async () => {
      const p = await run('sequence');
      const shown = await p.waitForLog(
        displayed('Service/default/event-display', (a) => a['type'] === 'dev.knative.sources.ping'),
        PING_WAIT,
      );
      expect((shown['event'] as Record<string, string>)['source']).toBe(
        '/apis/v1/namespaces/default/pingsources/ping-source',
      );
      expect(String(shown['msg'])).toContain(
        '"message": "Hello world! - Handled by 0 - Handled by 1 - Handled by 2"',
      );
    },
    PING_WAIT + 30_000,
  );

  it(
    'parallel: exactly the branch of the minute’s parity answers, and event_display shows it',
    async () => {
      const p = await run('parallel');
      const shown = await p.waitForLog(
        displayed('Service/default/event-display', (_a, text) =>
          /we are even!|this is odd!/.test(text),
        ),
        PING_WAIT,
      );
      const time = (shown['event'] as Record<string, string>)['time']!;
      const even = Math.round(Date.parse(time) / 60000) % 2 === 0;
      expect(String(shown['msg'])).toContain(
        even ? '"message": "we are even!"' : '"message": "this is odd!"',
      );
      // The other branch's filter dropped the same event.
      const ping = (shown['event'] as Record<string, string>)['id'];
      await new Promise((r) => setTimeout(r, 2_000));
      const same = p.logs.filter(
        displayed('Service/default/event-display', (a) => a['id'] === ping),
      );
      expect(same).toHaveLength(1);
    },
    PING_WAIT + 30_000,
  );

  it(
    'pingsource: every minute event_display shows the ping with its JSON data',
    async () => {
      const p = await run('pingsource');
      const shown = await p.waitForLog(
        displayed('Service/default/event-display', (a) => a['type'] === 'dev.knative.sources.ping'),
        PING_WAIT,
      );
      const attrs = shown['event'] as Record<string, string>;
      expect(attrs['source']).toBe('/apis/v1/namespaces/default/pingsources/test-ping-source');
      expect(attrs['datacontenttype']).toBe('application/json');
      expect(String(shown['msg'])).toContain('"message": "Hello world!"');
    },
    PING_WAIT + 30_000,
  );
});
