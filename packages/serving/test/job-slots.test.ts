import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Loaded, silentLogger } from '@tributary/core';
import { type JobSink, JobSinkSchema, JobRunner, JobSlots } from '../src/index.js';

// JobSink jobs run as real processes; the machine-wide cap lets only one run at a time here.
const dir = mkdtempSync(path.join(tmpdir(), 'tributary-jobslots-'));
const log = path.join(dir, 'log');
writeFileSync(
  path.join(dir, 'job.mjs'),
  `import { appendFileSync } from 'node:fs';
appendFileSync(process.env.LOG, 'start\\n');
setTimeout(() => { appendFileSync(process.env.LOG, 'end\\n'); process.exit(0); }, 200);
`,
);

const sink = (name: string): Loaded<JobSink> => ({
  ...JobSinkSchema.parse({
    apiVersion: 'sinks.knative.dev/v1alpha1',
    kind: 'JobSink',
    metadata: { name },
    spec: {
      job: {
        spec: {
          completions: 2,
          parallelism: 2,
          template: { spec: { containers: [{ command: [process.execPath, 'job.mjs'] }] } },
        },
      },
    },
  }),
  source: { file: path.join(dir, 'manifest.yaml'), line: 1, col: 1 },
});

describe('JobSlots', () => {
  it('never runs more job processes than the cap, across JobSinks', async () => {
    const slots = new JobSlots(1);
    const runners = ['a', 'b'].map(
      (n) =>
        new JobRunner({
          sink: sink(n),
          env: { LOG: log },
          dir,
          slots,
          logger: silentLogger,
        }),
    );
    const jobs = runners.map(
      (r, i) =>
        r.accept({ attributes: { specversion: '1.0', id: `e${i}`, source: '/s', type: 't' } }).job,
    );
    const started = Date.now();
    while (jobs.some((j) => j.status !== 'Complete')) {
      if (Date.now() - started > 60_000) throw new Error('jobs did not complete');
      await new Promise((r) => setTimeout(r, 50));
    }
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    expect(lines).toEqual(['start', 'end', 'start', 'end', 'start', 'end', 'start', 'end']);
    expect(jobs.map((j) => j.succeeded)).toEqual([2, 2]);
  });
});
