import { describe, expect, it } from 'vitest';
import { DispatcherClosedError } from './dispatcher-types.js';
import { type CircuitState, TriggerFlowGate } from './flow-gate.js';

const never = new AbortController().signal;
/** Whether `p` settles within a few event-loop turns. */
async function settles(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
  return done;
}

describe('TriggerFlowGate', () => {
  it('holds attempts while paused and lets them go on resume', async () => {
    const gate = new TriggerFlowGate({ paused: true });
    const held = gate.acquire(never, 't');
    expect(await settles(held)).toBe(false);
    gate.setPaused(false);
    const release = await held;
    expect(gate.inFlight).toBe(1);
    release('ok');
    expect(gate.inFlight).toBe(0);
  });

  it('a held attempt rejects with DispatcherClosedError when its signal aborts', async () => {
    const gate = new TriggerFlowGate({ paused: true });
    const ctl = new AbortController();
    const held = gate.acquire(ctl.signal, 't');
    ctl.abort();
    await expect(held).rejects.toBeInstanceOf(DispatcherClosedError);
  });

  it('max-in-flight lets at most n out; releasing one admits the next', async () => {
    const gate = new TriggerFlowGate({ paused: false, maxInFlight: 2 });
    const r1 = await gate.acquire(never, 't');
    await gate.acquire(never, 't');
    const third = gate.acquire(never, 't');
    expect(await settles(third)).toBe(false);
    r1('ok');
    await third;
    expect(gate.inFlight).toBe(2);
  });

  it('rate limit: a burst of n, then the next one waits for a token', async () => {
    const gate = new TriggerFlowGate({ paused: false, rateLimit: { count: 3, perMs: 60_000 } });
    for (let i = 0; i < 3; i++) (await gate.acquire(never, 't'))('ok');
    expect(await settles(gate.acquire(never, 't'))).toBe(false);
  });

  it('circuit: opens after n consecutive failures, half-opens after the cool-down, one probe closes it', async () => {
    const changes: CircuitState[] = [];
    const gate = new TriggerFlowGate(
      { paused: false, circuitBreaker: { failures: 2, coolDownMs: 2000 } },
      { onCircuitChange: (s) => changes.push(s) },
    );
    (await gate.acquire(never, 't'))('failed');
    (await gate.acquire(never, 't'))('ok'); // resets the count
    (await gate.acquire(never, 't'))('failed');
    expect(gate.circuit).toBe('closed');
    (await gate.acquire(never, 't'))('failed');
    expect(changes).toEqual(['open']);
    const probe = gate.acquire(never, 't');
    const second = gate.acquire(never, 't');
    expect(await settles(probe)).toBe(false);
    const release = await probe; // after the cool-down
    expect(changes).toEqual(['open', 'half-open']);
    expect(await settles(second)).toBe(false); // only one probe at a time
    release('ok');
    (await second)('ok');
    expect(changes).toEqual(['open', 'half-open', 'closed']);
  });

  it('circuit: a failed probe opens it again', async () => {
    const gate = new TriggerFlowGate({
      paused: false,
      circuitBreaker: { failures: 1, coolDownMs: 100 },
    });
    (await gate.acquire(never, 't'))('failed');
    expect(gate.circuit).toBe('open');
    (await gate.acquire(never, 't'))('failed');
    expect(gate.circuit).toBe('open');
    gate.close();
  });
});
