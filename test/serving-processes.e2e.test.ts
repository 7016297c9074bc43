import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startHttpSink, type HttpSink } from '@tributary/testkit';
import {
  runCli,
  startTributary,
  writeManifests,
  type TributaryProcess,
} from './support/tributary-process.js';

// Local processes from container specs (docs/serving.md, docs/jobs.md) against a real
// `tributary run`: a command Service scaled from zero and back, and JobSink jobs (dedupe, failure
// after backoffLimit, activeDeadlineSeconds, a Trigger whose subscriber is a JobSink).
let trib: TributaryProcess;
let sink: HttpSink;

/** A tiny CloudEvents service: waits a moment (a visible cold start), then replies with its pid. */
const SERVICE = `import http from 'node:http';
const port = Number(process.env.PORT);
let n = 0;
setTimeout(() => {
  http.createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      n++;
      res.writeHead(200, {
        'ce-specversion': '1.0', 'ce-id': 'reply-' + process.pid + '-' + n, 'ce-source': '/cmd',
        'ce-type': 'e2e.cmd.reply', 'content-type': 'application/json',
      });
      res.end(JSON.stringify({ pid: process.pid, n, greeting: process.env.GREETING, arg: process.argv[2], got: JSON.parse(body) }));
    });
  }).listen(port, '127.0.0.1');
}, 300);
`;

/** A job: prints the event file it was given three ways, then exits or sleeps as the event says. */
const JOB = `import { readFileSync } from 'node:fs';
const byArg = readFileSync(process.argv[2], 'utf8');
const event = JSON.parse(readFileSync(process.env.K_EVENT_PATH, 'utf8'));
console.log('event ' + JSON.stringify({ id: event.id, same: byArg === readFileSync(process.env.EVENT_FILE, 'utf8'), data: event.data }));
if (event.data.sleepMs) setTimeout(() => process.exit(0), event.data.sleepMs);
else process.exit(event.data.exit ?? 0);
`;

const yaml = (sinkUrl: string) => `apiVersion: eventing.knative.dev/v1
kind: Broker
metadata: { name: default, namespace: e2e }
---
apiVersion: serving.knative.dev/v1
kind: Service
metadata: { name: greeter, namespace: e2e }
spec:
  template:
    metadata:
      annotations:
        autoscaling.knative.dev/initial-scale: "0"
        autoscaling.knative.dev/window: "6s"
        autoscaling.knative.dev/max-scale: "2"
    spec:
      containers:
        - image: ignored.example/greeter
          command: [node, service.mjs]
          args: [from-args]
          env: [{ name: GREETING, value: hello }]
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-greeter, namespace: e2e }
spec:
  broker: default
  filter: { attributes: { type: e2e.greet } }
  subscriber: { ref: { apiVersion: serving.knative.dev/v1, kind: Service, name: greeter } }
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: replies, namespace: e2e }
spec:
  broker: default
  filter: { attributes: { type: e2e.cmd.reply } }
  subscriber: { uri: ${sinkUrl}/replies }
---
apiVersion: sinks.knative.dev/v1alpha1
kind: JobSink
metadata: { name: worker, namespace: e2e }
spec:
  job:
    spec:
      completions: 2
      parallelism: 1
      backoffLimit: 1
      activeDeadlineSeconds: 20
      template:
        spec:
          restartPolicy: Never
          containers:
            - name: main
              image: docker.io/library/node:20
              command: [node, job.mjs]
              args: [/etc/jobsink-event/event]
              env: [{ name: EVENT_FILE, value: /etc/jobsink-event/event }]
---
apiVersion: eventing.knative.dev/v1
kind: Trigger
metadata: { name: to-worker, namespace: e2e }
spec:
  broker: default
  filter: { attributes: { type: e2e.job } }
  subscriber: { ref: { apiVersion: sinks.knative.dev/v1alpha1, kind: JobSink, name: worker } }
`;

const event = (id: string, type: string, data: unknown) => ({
  method: 'POST' as const,
  headers: {
    'ce-specversion': '1.0',
    'ce-id': id,
    'ce-source': '/e2e/processes',
    'ce-type': type,
    'content-type': 'application/json',
  },
  body: JSON.stringify(data),
});

const metric = async (name: string, labels: string): Promise<number> => {
  const text = await (await request(`${trib.baseUrl}/metrics`)).body.text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};

interface Job {
  name: string;
  status: string;
  reason?: string;
  succeeded: number;
  failed: number;
  exits: string[];
  output: string[];
  id: string;
}

const jobAt = async (location: string): Promise<{ status: number; job: Job }> => {
  const r = await request(`${trib.baseUrl}${location}`);
  return { status: r.statusCode, job: (await r.body.json()) as Job };
};

async function until<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  ms = 60_000,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() - started > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

beforeAll(async () => {
  sink = await startHttpSink();
  const dir = writeManifests({
    'processes.yaml': yaml(sink.url),
    'service.mjs': SERVICE,
    'job.mjs': JOB,
  });
  trib = await startTributary(`${dir}/processes.yaml`);
});

afterAll(async () => {
  await trib?.stop();
  await sink?.close();
});

describe('a Service whose container has a command', () => {
  it('starts from zero for its first event, replies, scales to zero after its window, starts again', async () => {
    const started = (l: Record<string, unknown>) =>
      String(l['msg']).startsWith('container e2e/greeter#') &&
      String(l['msg']).endsWith(' started');
    expect(trib.logs.filter(started)).toHaveLength(0);
    expect(await metric('tributary_service_processes', 'state="ready"')).toBe(0);

    const r1 = await request(`${trib.baseUrl}/e2e/default`, event('g-1', 'e2e.greet', { n: 1 }));
    expect(r1.statusCode).toBe(202);
    const first = await sink.waitForRequest((q) => q.url === '/replies', 30_000);
    const reply1 = JSON.parse(Buffer.from(first.events[0]!.data!).toString()) as {
      pid: number;
      greeting: string;
      arg: string;
      got: unknown;
    };
    expect(reply1).toMatchObject({ greeting: 'hello', arg: 'from-args', got: { n: 1 } });
    expect(trib.logs.some((l) => l['reason'] === 'cold start' && l['to'] === 1)).toBe(true);
    expect(await metric('tributary_service_cold_starts_total', 'service="greeter"')).toBe(1);

    // No traffic for the 6 s window: the autoscaler scales to zero and the process is stopped.
    await trib.waitForLog((l) => l['ksvc'] === 'e2e/greeter' && l['to'] === 0, 60_000);
    await trib.waitForLog(
      (l) => String(l['msg']).match(/^container e2e\/greeter#1 stopped$/) !== null,
      30_000,
    );
    expect(await metric('tributary_service_scale_decisions_total', 'direction="to_zero"')).toBe(1);

    const r2 = await request(`${trib.baseUrl}/e2e/default`, event('g-2', 'e2e.greet', { n: 2 }));
    expect(r2.statusCode).toBe(202);
    const second = await sink.waitForRequest(
      (q) => q.url === '/replies' && q.events[0]!.attributes['id']!.endsWith('-1') && q !== first,
      30_000,
    );
    const reply2 = JSON.parse(Buffer.from(second.events[0]!.data!).toString()) as {
      pid: number;
      got: unknown;
    };
    expect(reply2.got).toEqual({ n: 2 });
    expect(reply2.pid).not.toBe(reply1.pid);
    expect(trib.logs.filter(started)).toHaveLength(2);
    expect(await metric('tributary_service_cold_starts_total', 'service="greeter"')).toBe(2);
  }, 120_000);
});

describe('JobSink', () => {
  const post = (id: string, data: unknown) =>
    request(`${trib.baseUrl}/e2e/jobsinks/worker`, event(id, 'e2e.work', data));

  it('runs each event once as a job (deduplicated on source and id) until its completions', async () => {
    const a = await post('job-ok', { exit: 0 });
    const b = await post('job-ok', { exit: 0 });
    expect(a.statusCode).toBe(202);
    expect(b.statusCode).toBe(202);
    const location = a.headers['location'] as string;
    expect(b.headers['location']).toBe(location);
    const done = await until('job-ok to complete', async () => {
      const r = await jobAt(location);
      return r.status === 202 ? undefined : r;
    });
    expect(done.status).toBe(200);
    expect(done.job).toMatchObject({ status: 'Complete', succeeded: 2, failed: 0 });
    expect(done.job.exits).toEqual(['0', '0']);
    expect(done.job.output).toContain(
      `stdout: event ${JSON.stringify({ id: 'job-ok', same: true, data: { exit: 0 } })}`,
    );
    expect(trib.logs.some((l) => String(l['msg']).includes('"id":"job-ok","same":true'))).toBe(
      true,
    );
  });

  it('fails a job whose pods keep failing once backoffLimit is exceeded', async () => {
    const r = await post('job-fail', { exit: 3 });
    const done = await until('job-fail to fail', async () => {
      const s = await jobAt(r.headers['location'] as string);
      return s.status === 202 ? undefined : s;
    });
    expect(done.status).toBe(400);
    expect(done.job).toMatchObject({ status: 'Failed', reason: 'BackoffLimitExceeded', failed: 2 });
    expect(done.job.exits).toEqual(['3', '3']);
  });

  it('stops a job at its activeDeadlineSeconds', async () => {
    const r = await post('job-slow', { sleepMs: 60_000 });
    const done = await until('job-slow to hit its deadline', async () => {
      const s = await jobAt(r.headers['location'] as string);
      return s.status === 202 ? undefined : s;
    });
    expect(done.job).toMatchObject({ status: 'Failed', reason: 'DeadlineExceeded', succeeded: 0 });
  });

  it('takes events from a Trigger whose subscriber is the JobSink, listed by `tributary get jobs`', async () => {
    const r = await request(
      `${trib.baseUrl}/e2e/default`,
      event('via-trigger', 'e2e.job', { exit: 0 }),
    );
    expect(r.statusCode).toBe(202);
    const job = await until('the triggered job', async () => {
      const out = await runCli(['get', 'jobs', '--server', trib.baseUrl, '-o', 'json']);
      const items = (JSON.parse(out.stdout) as { items: Job[] }).items;
      const j = items.find((x) => x.id === 'via-trigger');
      return j?.status === 'Complete' ? j : undefined;
    });
    expect(job.succeeded).toBe(2);
    const table = await runCli(['get', 'jobs', '--server', trib.baseUrl]);
    expect(table.code).toBe(0);
    expect(table.stdout).toMatch(/^NAME\s+NAMESPACE\s+JOBSINK\s+STATUS\s+COMPLETIONS/);
    expect(table.stdout).toContain(job.name);
    expect(table.stdout).toMatch(/BackoffLimitExceeded|exits: 3, 3/);
    expect(await metric('tributary_jobs_total', 'status="Complete"')).toBe(2);
    expect(await metric('tributary_jobs_total', 'status="Failed"')).toBe(2);
  });
});
