import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import {
  startHttpSink,
  startKafkaMock,
  type HttpSink,
  type KafkaMockCluster,
} from '@tributary/testkit';
import {
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Issue 13: a KafkaSource notices topics created after it started (periodic topic discovery,
// docs/kafka.md) and reads them from their first record: every record of a topic created after
// the source was Ready was produced after Ready. The source never creates the topics it reads.
let cluster: KafkaMockCluster;
const procs: TributaryProcess[] = [];
const sinks: HttpSink[] = [];

beforeAll(async () => {
  cluster = await startKafkaMock();
});
afterAll(async () => {
  await cluster?.stop();
});
afterEach(async () => {
  await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL')));
  await Promise.all(sinks.splice(0).map((s) => s.close()));
});

function kcat(args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('kcat', ['-b', cluster.bootstrapServers, ...args], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', (e) => reject(new Error(`kcat: ${e.message} (apt-get install kcat)`)));
    child.on('exit', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`kcat exited ${code}: ${err}`)),
    );
    // kcat may exit before it has read its stdin (`-L` never reads it; a failure exits at once):
    // the exit code reports what happened, the broken pipe is not a second error.
    child.stdin.on('error', () => undefined);
    child.stdin.end(input ?? '');
  });
}

/** Topic names in the cluster (a metadata request for all topics creates none). */
async function topics(): Promise<string[]> {
  const meta = JSON.parse(await kcat(['-L', '-J'])) as { topics: Array<{ topic: string }> };
  return meta.topics.map((t) => t.topic);
}

async function waitReady(base: string, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  let last = '';
  while (Date.now() < deadline) {
    const res = await request(`${base}/readyz`);
    last = await res.body.text();
    if (res.statusCode === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`not ready within ${ms} ms: ${last}`);
}

describe('KafkaSource on a topic created after it started', () => {
  for (const initialOffset of ['earliest', 'latest'] as const) {
    it(`initialOffset ${initialOffset}: the first record produced by kcat (which creates the topic) reaches the sink`, async () => {
      const sink = await startHttpSink();
      sinks.push(sink);
      const present = `here-${randomUUID().slice(0, 8)}`;
      const late = `late-${randomUUID().slice(0, 8)}`;
      await kcat(['-P', '-t', present], 'before-start\n');
      const p = await startTributary(
        writeManifests({
          'source.yaml': `
apiVersion: sources.knative.dev/v1
kind: KafkaSource
metadata: { name: late-src }
spec:
  bootstrapServers: ["${cluster.bootstrapServers}"]
  topics: [${present}, ${late}]
  initialOffset: ${initialOffset}
  sink: { uri: "${sink.url}" }
`,
        }),
      );
      procs.push(p);
      await waitReady(p.baseUrl);
      expect(await topics()).not.toContain(late);
      await kcat(['-P', '-t', late, '-K', '\t'], 'k1\tfirst-record\n');
      const event = await sink.waitForEvent(
        (e) => e.attributes['source']?.endsWith(`#${late}`) === true,
        // discovery (5 s) + one rebalance: on the mock cluster up to the 30 s session timeout
        110_000,
      );
      expect(event.attributes['id']).toMatch(/^partition:\d+\/offset:0$/);
      expect(Buffer.from(event.data ?? new Uint8Array()).toString()).toBe('first-record');
      // The topic that existed at start honours initialOffset: its record from before the start
      // arrives with earliest, never with latest.
      const fromPresent = (e: { attributes: Record<string, string> }) =>
        e.attributes['source']?.endsWith(`#${present}`) === true;
      if (initialOffset === 'earliest') await sink.waitForEvent(fromPresent, 60_000);
      else expect(sink.events.filter(fromPresent)).toHaveLength(0);
    }, 200_000);
  }
});
