// The hot path, measured against its floor in the same run: the closed-loop load goes (a) straight to the
// sink, (b) through the bare two-hop proxy (bench/min-proxy.mjs) and (c) through `tributary run` with one
// memory Broker and one Trigger. The three are measured in turn, in an order that rotates every round, so
// a drift of the machine's speed touches all of them. Per system: events/s delivered and the CPU seconds
// its own process used per delivered event (from /proc/<pid>/stat). Then an open-loop load at a fixed
// rate, in the same number of rounds, gives the p99 latency each hop adds at a load both sustain.
import { fork } from 'node:child_process';
import path from 'node:path';
import { runPaced, percentile } from './http-load.mjs';
import {
  BODY,
  drained,
  measureThrough,
  root,
  sleep,
  startSink,
  startTributary,
} from './harness.mjs';
import { medians, summary } from './lib/stats.mjs';

export const memoryBrokerYaml = (sinkUrl, triggers = 1) => {
  let yaml = `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: bench }
`;
  for (let i = 0; i < triggers; i++) {
    // Trigger 0 takes the load; the others filter on types nobody sends.
    const type = i === 0 ? 'bench.event' : `bench.other.${i}`;
    yaml += `---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: t${i} }
spec:
  broker: bench
  filters: [{ exact: { type: ${type} } }]
  subscriber: { uri: "${sinkUrl}" }
`;
  }
  return yaml;
};

function startMinProxy(sinkUrl) {
  const child = fork(path.join(root, 'bench/min-proxy.mjs'), [sinkUrl]);
  return new Promise((resolve) =>
    child.once('message', (m) =>
      resolve({
        url: `http://127.0.0.1:${m.port}/`,
        pid: child.pid,
        stop: () => child.send('exit'),
      }),
    ),
  );
}

async function measureSystem(system, sink, seconds, concurrency) {
  const { cpuUsPerEvent, ...result } = await measureThrough({
    url: system.url,
    sink,
    seconds,
    concurrency,
    pids: [system.pid, sink.pid, process.pid],
  });
  const [own, sinkCpu, load] = cpuUsPerEvent.map((us) => us ?? NaN);
  return {
    ...result,
    cpuMicrosPerEvent: own,
    sinkCpuMicrosPerEvent: sinkCpu,
    loadCpuMicrosPerEvent: load,
  };
}

async function pacedLatency(url, sink, rate, seconds) {
  await sink.reset();
  const { sent, failed } = await runPaced({ url, rate, seconds, body: BODY });
  await drained(async () => (await sink.report()).count, sent);
  const { latencies } = await sink.report();
  latencies.sort((a, b) => a - b);
  return {
    sent,
    failed,
    p50ms: percentile(latencies, 50) / 1000,
    p99ms: percentile(latencies, 99) / 1000,
  };
}

/** Rounds of direct / proxy / memory broker; resolves with every round's figures per system. */
export async function benchHotPath({ rounds, seconds, concurrency, pacedRate, pacedSeconds }) {
  const sink = await startSink();
  const proxy = await startMinProxy(sink.url);
  const trib = await startTributary(memoryBrokerYaml(sink.url), '/default/bench');
  const systems = {
    direct: { url: sink.url, pid: undefined },
    proxy: { url: proxy.url, pid: proxy.pid },
    memory: { url: trib.url, pid: trib.child.pid },
  };
  const names = Object.keys(systems);
  const byRound = Object.fromEntries(names.map((n) => [n, []]));
  try {
    for (let r = 0; r < rounds; r++) {
      const order = names.map((_, i) => names[(i + r) % names.length]);
      for (const name of order) {
        const m = await measureSystem(systems[name], sink, seconds, concurrency);
        byRound[name].push(m);
        console.error(
          `round ${r + 1} ${name}: ${m.eventsPerSecond} events/s, ${m.cpuMicrosPerEvent.toFixed(1)} µs CPU/event`,
        );
        await sleep(300);
      }
    }
    // Paced latency in the same rounds, the two systems' order alternating: one 5 s sample's p99
    // (its 50 slowest events) moves by milliseconds with a single pause of the machine.
    const pacedRounds = [];
    for (let r = 0; r < rounds; r++) {
      const round = {};
      for (const name of r % 2 === 0 ? ['proxy', 'memory'] : ['memory', 'proxy']) {
        round[name] = await pacedLatency(systems[name].url, sink, pacedRate, pacedSeconds);
        console.error(
          `paced round ${r + 1} ${pacedRate}/s ${name}: p99 ${round[name].p99ms.toFixed(2)} ms`,
        );
      }
      pacedRounds.push(round);
    }
    const paced = {
      proxy: medians(pacedRounds.map((r) => r.proxy)),
      memory: medians(pacedRounds.map((r) => r.memory)),
      addedP99ms: summary(pacedRounds.map((r) => r.memory.p99ms - r.proxy.p99ms)),
      rounds: pacedRounds,
    };
    return { byRound, paced };
  } finally {
    trib.child.kill('SIGTERM');
    proxy.stop();
    sink.stop();
  }
}
