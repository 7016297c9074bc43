/**
 * Scenarios that break delivery: a hung subscriber, 429 with a huge Retry-After, a dead-letter sink
 * that is down, a loop, a poison event, an exhausted connection pool (docs/reliability.md).
 */
import { request } from 'undici';
import { settle, sleep } from './harness.js';
import { dls, type Scenario, trigger, uri } from './scenario-kit.js';

export const hungSubscriber: Scenario = {
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

export const retryAfter: Scenario = {
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

export const dlsDown: Scenario = {
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

export const loop: Scenario = {
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

export const poison: Scenario = {
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

export const poolExhausted: Scenario = {
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
