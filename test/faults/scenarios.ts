/**
 * The fault scenarios (docs/reliability.md). Each one runs unchanged on every backend of
 * backends.ts, sends events to `tributary run`, injects one fault and returns the lanes to count.
 * A scenario throws when a behaviour it checks besides the count is wrong (e.g. /healthz stopped
 * answering); the count itself is judged by the suite.
 */
import { request } from 'undici';
import { freePort } from '@tributary/testkit';
import { NS } from './backends.js';
import { type Lane, type ScenarioRun, settle, sleep } from './harness.js';
import type { FaultSink, SinkMode } from './sink.js';

export interface ScenarioResult {
  readonly lanes: readonly Lane[];
  /** Added to the table's counts (e.g. the loop's one event). */
  readonly extra?: { accepted: number; delivered: number };
  readonly note?: string;
}

export interface Scenario {
  readonly name: string;
  /** Kills the process: the memory backend loses what it held, by design. */
  readonly crash: boolean;
  /** Needs a backend with connections (not the memory backend). */
  readonly needsConnections?: boolean;
  run(run: ScenarioRun, sinks: SinkFactory): Promise<ScenarioResult>;
}

export type SinkFactory = (mode?: SinkMode) => Promise<FaultSink>;

/** A Trigger of `broker` passing `type` to `subscriber` (a YAML flow mapping). */
function trigger(
  broker: string,
  name: string,
  type: string,
  subscriber: string,
  delivery?: string,
  annotations: Record<string, string> = {},
): string {
  const ann = Object.entries(annotations).map(([k, v]) => `${k}: "${v}"`);
  return `apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata:
  name: ${broker}-${name}
  namespace: ${NS}
${ann.length ? `  annotations: { ${ann.join(', ')} }\n` : ''}spec:
  broker: ${broker}
  filter: { attributes: { type: ${type} } }
  subscriber: ${subscriber}
${delivery ? `  delivery: ${delivery}\n` : ''}---
`;
}
const uri = (u: string): string => `{ uri: "${u}" }`;
const dls = (s: FaultSink): string => `deadLetterSink: { uri: "${s.url}" }`;

/** Sends `n` events of `type` while the process is killed part-way; returns when both are done. */
async function killWhile(run: ScenarioRun, until: () => boolean, n: number, type: string) {
  let dead = false;
  const sending = run.send(type, n, type, { stop: () => dead });
  const deadline = Date.now() + 30_000;
  while (!until() && Date.now() < deadline) await sleep(20);
  await run.kill9();
  dead = true;
  await sending;
}

const killAfterReady: Scenario = {
  name: 'kill -9 right after Ready, before the first delivery',
  crash: true,
  async run(run, sinks) {
    const sink = await sinks({ kind: 'hold' });
    await run.prepare((b) =>
      trigger(b, 'main', 'e', uri(sink.url), '{ retry: 3, backoffDelay: PT0.2S }'),
    );
    const lanes = run.track([{ accepted: run.accepted, sink }]);
    await run.start();
    await run.waitReady();
    await run.send('e', 200, 'e', { concurrency: 16 });
    await run.kill9();
    sink.dropHeld();
    const completed = sink.delivered.size;
    sink.setMode({ kind: 'accept' });
    await run.start();
    await settle(lanes, run.patience(60_000));
    return { lanes, note: `${completed} delivered before the kill` };
  },
};

const killMidStream: Scenario = {
  name: 'kill -9 mid-stream',
  crash: true,
  async run(run, sinks) {
    const sink = await sinks();
    await run.prepare((b) =>
      trigger(b, 'main', 'e', uri(sink.url), '{ retry: 3, backoffDelay: PT0.2S }'),
    );
    const lanes = run.track([{ accepted: run.accepted, sink }]);
    await run.start();
    await run.waitReady();
    // Killed while the producer is still sending (at most 150 of 300 sent) and, on a backend
    // slower to deliver than to accept, while deliveries are under way.
    await killWhile(run, () => sink.delivered.size >= 30 || run.accepted.size >= 150, 300, 'e');
    await run.start();
    await settle(lanes, run.patience(60_000));
    return { lanes };
  },
};

const killDuringBackoff: Scenario = {
  name: 'kill -9 during a backoff',
  crash: true,
  async run(run, sinks) {
    const sink = await sinks();
    const dead = await sinks();
    sink.failFirst({ count: 1, status: 503 });
    await run.prepare((b) =>
      trigger(
        b,
        'main',
        'e',
        uri(sink.url),
        `{ retry: 3, backoffPolicy: linear, backoffDelay: PT2S, ${dls(dead)} }`,
      ),
    );
    const lanes = run.track([{ accepted: run.accepted, sink, deadLetter: dead }]);
    await run.start();
    await run.waitReady();
    await run.send('e', 100, 'e');
    await sink.until(
      () => [...run.accepted].every((id) => (sink.attempts.get(id) ?? 0) >= 1),
      'every event got its first (failing) attempt',
      30_000,
    );
    await run.kill9();
    await run.start();
    await settle(lanes, run.patience(60_000));
    return { lanes };
  },
};

const killWhileDlsDown: Scenario = {
  name: 'kill -9 while the dead-letter sink is down',
  crash: true,
  async run(run, sinks) {
    const sink = await sinks({ kind: 'status', status: 503 });
    const dead = await sinks({ kind: 'down' });
    await run.prepare((b) =>
      trigger(b, 'main', 'e', uri(sink.url), `{ retry: 1, backoffDelay: PT0.1S, ${dls(dead)} }`),
    );
    const lanes = run.track([{ accepted: run.accepted, sink, deadLetter: dead }]);
    await run.start();
    await run.waitReady();
    await run.send('e', 50, 'e');
    await dead.until(
      () => [...run.accepted].every((id) => dead.attempts.has(id)),
      'the dead-letter sink was tried for every event',
      60_000,
    );
    await run.kill9();
    dead.setMode({ kind: 'accept' });
    await run.start();
    await settle(lanes, run.patience(60_000));
    return { lanes };
  },
};

const connectionLoss: Scenario = {
  name: 'connection loss mid-stream',
  crash: false,
  needsConnections: true,
  async run(run, sinks) {
    const sink = await sinks();
    await run.prepare((b) =>
      trigger(b, 'main', 'e', uri(sink.url), '{ retry: 5, backoffDelay: PT0.2S }'),
    );
    const lanes = run.track([{ accepted: run.accepted, sink }]);
    await run.start();
    await run.waitReady();
    const sending = run.send('e', 300, 'e');
    await sink.until(() => sink.delivered.size >= 60, '60 deliveries before the cut', 30_000);
    // Cut, and keep cutting for about 3 s: the backend is unreachable for this process.
    let cut = 0;
    for (let i = 0; i < 10; i++) {
      cut += await run.handle.cutConnections!(run.proc.pid);
      await sleep(300);
    }
    await sending;
    await settle(lanes, run.patience(60_000));
    if (cut === 0)
      throw new Error(
        `no backend connection named tributary-${run.proc.pid}-* was found to cut (are connections named?)`,
      );
    if (run.proc.child.exitCode !== null)
      throw new Error(`tributary exited (${run.proc.child.exitCode}) after the connection loss`);
    const statuses = [...run.statuses].map(([s, n]) => `${s}×${n}`).join(' ');
    return { lanes, note: `${cut} connections cut; producer statuses ${statuses}` };
  },
};

const hungSubscriber: Scenario = {
  name: 'subscriber hangs (timeout, retried, dead-lettered)',
  crash: false,
  async run(run, sinks) {
    const sink = await sinks({ kind: 'hold' });
    const dead = await sinks();
    await run.prepare((b) =>
      trigger(
        b,
        'main',
        'e',
        uri(sink.url),
        `{ retry: 2, backoffDelay: PT0.1S, timeout: PT1S, ${dls(dead)} }`,
      ),
    );
    const lanes = run.track([{ accepted: run.accepted, sink, deadLetter: dead }]);
    await run.start();
    await run.waitReady();
    await run.send('e', 20, 'e');
    await settle(lanes, run.patience(60_000));
    const short = [...run.accepted].filter((id) => (sink.attempts.get(id) ?? 0) < 3);
    if (short.length > 0)
      throw new Error(`${short.length} events were not attempted 3 times before dead-lettering`);
    return { lanes };
  },
};

const retryAfter: Scenario = {
  name: '429 with a huge Retry-After',
  crash: false,
  async run(run, sinks) {
    const plain = await sinks();
    const capped = await sinks();
    const first = { count: 2, status: 429, headers: { 'retry-after': '86400' } };
    plain.failFirst(first);
    capped.failFirst(first);
    const d = '{ retry: 3, backoffDelay: PT0.1S }';
    await run.prepare(
      (b) =>
        trigger(b, 'plain', 'plain', uri(plain.url), d) +
        trigger(
          b,
          'capped',
          'capped',
          uri(capped.url),
          '{ retry: 3, backoffDelay: PT0.1S, retryAfterMax: PT1S }',
        ),
    );
    const lanes = run.track([
      { name: 'no retryAfterMax', accepted: run.acceptedOf('plain'), sink: plain },
      { name: 'retryAfterMax PT1S', accepted: run.acceptedOf('capped'), sink: capped },
    ]);
    await run.start();
    await run.waitReady();
    await run.send('plain', 30, 'plain');
    await run.send('capped', 30, 'capped');
    await settle(lanes, run.patience(60_000));
    return { lanes, note: 'one trigger without retryAfterMax, one with PT1S' };
  },
};

const dlsDown: Scenario = {
  name: 'dead-letter sink down (kept, retried)',
  crash: false,
  async run(run, sinks) {
    const sink = await sinks({ kind: 'status', status: 503 });
    const dead = await sinks({ kind: 'down' });
    await run.prepare((b) =>
      trigger(b, 'main', 'e', uri(sink.url), `{ retry: 1, backoffDelay: PT0.1S, ${dls(dead)} }`),
    );
    const lanes = run.track([{ accepted: run.accepted, sink, deadLetter: dead }]);
    await run.start();
    await run.waitReady();
    await run.send('e', 50, 'e');
    await dead.until(
      () => [...run.accepted].every((id) => dead.attempts.has(id)),
      'the dead-letter sink was tried for every event',
      60_000,
    );
    await sleep(3000);
    dead.setMode({ kind: 'accept' });
    await settle(lanes, 90_000);
    return { lanes };
  },
};

const loop: Scenario = {
  name: 'loop (a Trigger whose subscriber is its own Broker)',
  crash: false,
  async run(run, sinks) {
    const observer = await sinks();
    const control = await sinks();
    await run.prepare(
      (b) =>
        trigger(
          b,
          'loop',
          'loop',
          `{ ref: { apiVersion: eventing.knative.dev/v1, kind: Broker, name: ${b} } }`,
        ) +
        trigger(b, 'observe', 'loop', uri(observer.url)) +
        trigger(b, 'control', 'control', uri(control.url), '{ retry: 3, backoffDelay: PT0.2S }'),
    );
    const lanes = run.track([{ accepted: run.acceptedOf('control'), sink: control }]);
    await run.start();
    await run.waitReady();
    const looped = await run.post('loop-0', 'loop');
    if (looped !== 202) throw new Error(`the loop event got ${looped}`);
    for (let i = 0; i < 5; i++) {
      await sleep(400);
      const h = await run.get('/healthz', 5000);
      if (h !== 200) throw new Error(`/healthz answered ${h} while the loop ran`);
    }
    await run.send('control', 20, 'control');
    await settle(lanes, 30_000);
    // The TTL must run the loop down: the observer's count stops growing.
    let hops = observer.attempts.get('loop-0') ?? 0;
    let stopped = false;
    const deadline = Date.now() + 60_000;
    while (!stopped && Date.now() < deadline) {
      await sleep(2000);
      const now = observer.attempts.get('loop-0') ?? 0;
      stopped = now === hops && now > 0;
      hops = now;
    }
    const exit = await Promise.race([
      (run.proc.child.kill('SIGTERM'), run.proc.exited.then(() => 'exited')),
      sleep(30_000).then(() => 'still running'),
    ]);
    const problems: string[] = [];
    if (!stopped) problems.push(`the loop was still running after 60 s (${hops} hops seen)`);
    if (hops > 256) problems.push(`the loop ran ${hops} hops (a TTL of 255 ends it sooner)`);
    if (exit !== 'exited') problems.push('SIGTERM did not end the process within 30 s');
    if (problems.length > 0) throw new Error(problems.join('; '));
    return {
      lanes,
      extra: { accepted: 1, delivered: hops > 0 ? 1 : 0 },
      note: `the looping event was seen ${hops} times before its TTL ran out`,
    };
  },
};

const poison: Scenario = {
  name: 'poison event ("ext":"\\ud800")',
  crash: false,
  async run(run, sinks) {
    const sink = await sinks();
    const dead = await sinks();
    await run.prepare((b) =>
      trigger(b, 'main', 'e', uri(sink.url), `{ retry: 1, backoffDelay: PT0.1S, ${dls(dead)} }`),
    );
    const lanes = run.track([{ accepted: run.accepted, sink, deadLetter: dead }]);
    await run.start();
    await run.waitReady();
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      const id = `poison-${i}`;
      // The JSON text carries the escape sequence itself: a lone UTF-16 surrogate.
      const body = `{"specversion":"1.0","id":"${id}","source":"/faults","type":"e","ext":"\\ud800"}`;
      const res = await request(run.ingress, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body,
      });
      await res.body.dump();
      statuses.push(res.statusCode);
      if (res.statusCode === 202) run.accepted.add(id);
    }
    await run.send('e', 50, 'e');
    await settle(lanes, run.patience(60_000));
    const answered = [...new Set(statuses)].join(',');
    if (statuses.some((s) => s !== 400))
      throw new Error(`the ingress answered ${answered} to a lone surrogate (400 expected)`);
    return { lanes, note: `poison answered ${answered}` };
  },
};

const poolExhausted: Scenario = {
  name: 'exhausted connection pool (200 hung + a healthy trigger on the same host)',
  crash: false,
  async run(run, sinks) {
    const sink = await sinks();
    const dead = await sinks();
    sink.setPathMode('/hang', { kind: 'hold' });
    const wide = {
      'tributary.dev/concurrency': '250',
      'rabbitmq.eventing.knative.dev/parallelism': '250',
    };
    await run.prepare(
      (b) =>
        trigger(
          b,
          'hang',
          'hang',
          uri(`${sink.url}/hang`),
          `{ retry: 1, backoffDelay: PT0.1S, ${dls(dead)} }`,
          wide,
        ) +
        trigger(
          b,
          'ok',
          'ok',
          uri(`${sink.url}/ok`),
          `{ retry: 5, backoffDelay: PT0.2S, timeout: PT3S, ${dls(dead)} }`,
        ),
    );
    const lanes = run.track([
      { name: 'hung trigger', accepted: run.acceptedOf('hang'), sink, deadLetter: dead },
      { name: 'healthy trigger', accepted: run.acceptedOf('ok'), sink, deadLetter: dead },
    ]);
    await run.start();
    await run.waitReady();
    await run.send('hang', 200, 'hang', { concurrency: 32 });
    await sink.until(() => sink.heldCount() >= 120, '120 hung deliveries', 60_000);
    const ok = await run.send('ok', 20, 'ok');
    const healthy = [{ accepted: ok, sink }];
    await settle(healthy, 30_000);
    const notDelivered = ok.filter((id) => !sink.delivered.has(id));
    const heldThen = sink.heldCount();
    sink.setPathMode('/hang', { kind: 'accept' });
    await settle(lanes, 90_000);
    if (notDelivered.length > 0)
      throw new Error(
        `${notDelivered.length}/${ok.length} events of the healthy trigger were not delivered while ${heldThen} deliveries hung`,
      );
    return { lanes, note: `${heldThen} deliveries hung while the healthy trigger delivered` };
  },
};

const unreachableBackend: Scenario = {
  name: 'unreachable backend (dead port)',
  crash: false,
  needsConnections: true,
  async run(run) {
    await run.prepare((b) => trigger(b, 'main', 'e', uri('http://127.0.0.1:1/')), {
      deadPort: await freePort(),
    });
    // "At once": /healthz within 10 s of the spawn on a loaded machine (the backend never answers).
    await run.start(10_000);
    const res = await request(run.ingress, {
      method: 'POST',
      headersTimeout: 10_000,
      headers: {
        'ce-specversion': '1.0',
        'ce-id': 'x',
        'ce-source': '/faults',
        'ce-type': 'e',
      },
      body: '{}',
    });
    await res.body.dump();
    const ready = await run.get('/readyz', 10_000);
    const exit = await Promise.race([
      (run.proc.child.kill('SIGTERM'), run.proc.exited.then(() => 'exited')),
      sleep(25_000).then(() => 'still running'),
    ]);
    const problems: string[] = [];
    if (res.statusCode !== 503) problems.push(`ingress answered ${res.statusCode} (503 expected)`);
    if (res.statusCode === 503 && !res.headers['retry-after'])
      problems.push('503 without Retry-After');
    if (ready !== 503) problems.push(`/readyz answered ${ready} (503 expected)`);
    if (exit !== 'exited') problems.push('SIGTERM did not end the process within 25 s');
    if (problems.length > 0) throw new Error(problems.join('; '));
    return { lanes: [], note: 'healthz at once, ingress 503 + Retry-After, SIGTERM exits' };
  },
};

/** Every scenario, in the order of the table. */
export const SCENARIOS: readonly Scenario[] = [
  killAfterReady,
  killMidStream,
  killDuringBackoff,
  killWhileDlsDown,
  connectionLoss,
  hungSubscriber,
  retryAfter,
  dlsDown,
  loop,
  poison,
  poolExhausted,
  unreachableBackend,
];
