/**
 * Scenarios that break the process or its backend: kill -9 at four moments, connection loss, an
 * unreachable backend (docs/reliability.md).
 */
import { request } from 'undici';
import { freePort } from '@tributary/testkit';
import { settle, sleep } from './harness.js';
import { dls, killWhile, type Scenario, trigger, uri } from './scenario-kit.js';

export const killAfterReady: Scenario = {
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

export const killMidStream: Scenario = {
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

export const killDuringBackoff: Scenario = {
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
        `{ retry: 3, backoffPolicy: linear, backoffDelay: PT4S, ${dls(dead)} }`,
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
    // A Redis retry that was already firing at the kill comes back only after BullMQ's stalled-job
    // check (lock 30 s, checked every 30 s): up to about 60 s after the restart.
    await settle(lanes, run.patience(90_000));
    return { lanes };
  },
};

export const killWhileDlsDown: Scenario = {
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

export const connectionLoss: Scenario = {
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

export const unreachableBackend: Scenario = {
  name: 'unreachable backend (dead port)',
  crash: false,
  needsConnections: true,
  async run(run) {
    await run.prepare((b) => trigger(b, 'main', 'e', uri('http://127.0.0.1:1/')), {
      deadPort: await freePort(),
    });
    // "At once" on a loaded machine: /healthz of the process whose backend never answers comes no
    // later than 5 s after that of a control process started at the same moment on a reachable
    // backend (both pay the same start-up cost; a start that waits on the backend pays more).
    const control = run.sibling();
    await control.prepare((b) => trigger(b, 'main', 'e', uri('http://127.0.0.1:1/')));
    const timed = async (r: typeof run): Promise<number> => {
      const t0 = Date.now();
      await r.start(90_000);
      return Date.now() - t0;
    };
    const [deadMs, controlMs] = await Promise.all([timed(run), timed(control)]);
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
    if (deadMs > controlMs + 5_000)
      problems.push(
        `/healthz answered after ${deadMs} ms, the control process's after ${controlMs} ms`,
      );
    if (res.statusCode !== 503) problems.push(`ingress answered ${res.statusCode} (503 expected)`);
    if (res.statusCode === 503 && !res.headers['retry-after'])
      problems.push('503 without Retry-After');
    if (ready !== 503) problems.push(`/readyz answered ${ready} (503 expected)`);
    if (exit !== 'exited') problems.push('SIGTERM did not end the process within 25 s');
    if (problems.length > 0) throw new Error(problems.join('; '));
    return {
      lanes: [],
      note: `healthz after ${deadMs} ms (control ${controlMs} ms), ingress 503 + Retry-After, SIGTERM exits`,
    };
  },
};
