/**
 * What every fault scenario uses (docs/reliability.md): `tributary run` as a subprocess on fixed
 * manifests and a fixed port (so a restart serves the same URLs), a producer that records which
 * events were accepted (202), and the ledger `accepted = delivered + dead-lettered (+ held)`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { freePort } from '@tributary/testkit';
import { type BackendHandle, type FaultBackend, NS } from './backends.js';
import type { FaultSink } from './sink.js';

const CLI = fileURLToPath(new URL('../../packages/cli/bin/tributary.js', import.meta.url));

/** Where rows are appended (one JSON object a line); `report.mjs` reads the same default. */
export const RESULTS_FILE =
  process.env['FAULTS_RESULTS'] ?? path.join(os.tmpdir(), 'tributary-faults-results.jsonl');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** One `tributary run` process. */
export interface Proc {
  readonly child: ChildProcess;
  readonly pid: number;
  /** Log lines so far (parsed JSON where it parses). */
  readonly logs: Array<Record<string, unknown>>;
  readonly exited: Promise<number | null>;
}

/** Counts of one scenario on one backend: one row of the table in docs/reliability.md. */
export interface Tally {
  accepted: number;
  delivered: number;
  deadLettered: number;
  held: number;
  lost: number;
  duplicates: number;
}

/** Events sent to one trigger and where they may end up. */
export interface Lane {
  /** Names the lane in the results' note (e.g. the Trigger). */
  readonly name?: string;
  readonly accepted: Iterable<string>;
  readonly sink: FaultSink;
  readonly deadLetter?: FaultSink;
}

/** Adds up lanes: an id is delivered if the sink answered it 2xx, else dead-lettered if the DLS did. */
export function tally(lanes: readonly Lane[], held = 0): Tally {
  const t: Tally = { accepted: 0, delivered: 0, deadLettered: 0, held, lost: 0, duplicates: 0 };
  for (const lane of lanes) {
    for (const id of lane.accepted) {
      t.accepted++;
      const d = lane.sink.delivered.get(id) ?? 0;
      const dl = lane.deadLetter?.delivered.get(id) ?? 0;
      if (d > 0) t.delivered++;
      else if (dl > 0) t.deadLettered++;
      if (d + dl > 1) t.duplicates += d + dl - 1;
    }
  }
  t.lost = t.accepted - t.delivered - t.deadLettered - t.held;
  return t;
}

/** Ids of lane events not yet delivered or dead-lettered. */
export function missing(lanes: readonly Lane[]): string[] {
  return lanes.flatMap((l) =>
    [...l.accepted].filter(
      (id) => !l.sink.delivered.has(id) && !(l.deadLetter?.delivered.has(id) ?? false),
    ),
  );
}

/** Waits until every lane event is delivered or dead-lettered, or `timeoutMs` passed. */
export async function settle(lanes: readonly Lane[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (missing(lanes).length > 0 && Date.now() < deadline) await sleep(100);
}

/** A row of the results table. */
export interface ResultRow extends Tally {
  scenario: string;
  backend: string;
  /** Position of the scenario in the list (the table's row order). */
  order: number;
  /** `pass`, `fail`, or `loss by design` (memory backend and a crash). */
  outcome: 'pass' | 'fail' | 'loss by design';
  note?: string;
  seconds: number;
}

export function recordResult(row: ResultRow): void {
  appendFileSync(RESULTS_FILE, `${JSON.stringify({ ...row, at: new Date().toISOString() })}\n`);
}

/** One scenario's run on one backend: its manifests, port, processes and producer. */
export class ScenarioRun {
  readonly broker = `f${randomUUID().slice(0, 8)}`;
  readonly accepted = new Set<string>();
  /** Statuses of every producer request (0 = connection failed). */
  readonly statuses = new Map<number, number>();
  readonly procs: Proc[] = [];
  /** Lanes a scenario counts (kept here so a failing scenario's counts are still reported). */
  readonly lanes: Lane[] = [];
  private dir = '';
  private port = 0;
  private args: string[] = [];
  private readonly agent = new Agent({ connections: 32, keepAliveTimeout: 1000 });

  constructor(
    readonly backend: FaultBackend,
    readonly handle: BackendHandle,
  ) {}

  /** Writes the Broker (with `brokerOptions`) and `triggersYaml` and picks the port. */
  async prepare(
    triggersYaml: (broker: string) => string,
    brokerOptions: Parameters<BackendHandle['brokerYaml']>[1] = {},
  ): Promise<void> {
    this.dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-faults-'));
    writeFileSync(
      path.join(this.dir, 'm.yaml'),
      `${this.handle.brokerYaml(this.broker, brokerOptions)}---\n${triggersYaml(this.broker)}`,
    );
    this.port = await freePort();
    this.args = this.handle.runArgs();
  }

  /** Set by the suite when the backend loses a crash's events by design (memory). */
  lossByDesign = false;

  /** How long to wait for events to arrive: short where they are lost by design. */
  patience(ms: number): number {
    return this.lossByDesign ? Math.min(ms, 8_000) : ms;
  }

  /** A live view of the accepted ids that start with `${prefix}-`. */
  acceptedOf(prefix: string): Iterable<string> {
    const all = this.accepted;
    return {
      *[Symbol.iterator]() {
        for (const id of all) if (id.startsWith(`${prefix}-`)) yield id;
      },
    };
  }

  /** Registers lanes to count and returns them. */
  track(lanes: Lane[]): Lane[] {
    this.lanes.push(...lanes);
    return lanes;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }
  get ingress(): string {
    return `${this.baseUrl}/${NS}/${this.broker}`;
  }
  get proc(): Proc {
    const p = this.procs[this.procs.length - 1];
    if (!p) throw new Error('no tributary process started');
    return p;
  }

  /** Spawns `tributary run` and resolves once `/healthz` answers (not waiting for readiness). */
  async start(healthTimeoutMs = 30_000): Promise<Proc> {
    const child = spawn(
      process.execPath,
      [
        CLI,
        'run',
        '-f',
        this.dir,
        '--port',
        String(this.port),
        '--log-level',
        process.env['FAULTS_LOG_LEVEL'] ?? 'info',
        ...this.args,
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const logs: Array<Record<string, unknown>> = [];
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          logs.push(JSON.parse(line) as Record<string, unknown>);
        } catch {
          logs.push({ msg: line });
        }
      }
    });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    const proc: Proc = { child, pid: child.pid!, logs, exited };
    this.procs.push(proc);
    const deadline = Date.now() + healthTimeoutMs;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`tributary exited ${child.exitCode}: ${stderr}`);
      if ((await this.get('/healthz')) === 200) return proc;
      if (Date.now() > deadline)
        throw new Error(`/healthz did not answer 200 within ${healthTimeoutMs} ms: ${stderr}`);
      await sleep(50);
    }
  }

  /** GETs a path of the running process; resolves with the status (0 when it did not answer). */
  async get(p: string, timeoutMs = 2000): Promise<number> {
    try {
      const res = await request(`${this.baseUrl}${p}`, {
        dispatcher: this.agent,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      await res.body.dump();
      return res.statusCode;
    } catch {
      return 0;
    }
  }

  /** Waits until `/readyz` answers 200. */
  async waitReady(timeoutMs = 45_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while ((await this.get('/readyz')) !== 200) {
      if (Date.now() > deadline) throw new Error(`/readyz not 200 within ${timeoutMs} ms`);
      await sleep(50);
    }
  }

  async kill9(): Promise<void> {
    const p = this.proc;
    if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGKILL');
    await p.exited;
  }

  /** Posts one binary-mode event of `type`; resolves with the status (0 = no answer). */
  async post(id: string, type: string, extra: Record<string, string> = {}): Promise<number> {
    let status = 0;
    try {
      const res = await request(this.ingress, {
        method: 'POST',
        dispatcher: this.agent,
        headersTimeout: 15_000,
        headers: {
          'ce-specversion': '1.0',
          'ce-id': id,
          'ce-source': '/faults',
          'ce-type': type,
          'content-type': 'application/json',
          ...extra,
        },
        body: JSON.stringify({ id }),
      });
      await res.body.dump();
      status = res.statusCode;
    } catch {
      status = 0;
    }
    this.statuses.set(status, (this.statuses.get(status) ?? 0) + 1);
    if (status === 202) this.accepted.add(id);
    return status;
  }

  /**
   * Sends events `${prefix}-0…n-1` of `type` with `concurrency` requests in flight; stops early
   * once `stop()` is true. Returns the ids that got 202.
   */
  async send(
    prefix: string,
    n: number,
    type: string,
    opts: { concurrency?: number; stop?: () => boolean } = {},
  ): Promise<string[]> {
    const ok: string[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < n && !(opts.stop?.() ?? false)) {
        const id = `${prefix}-${next++}`;
        if ((await this.post(id, type)) === 202) ok.push(id);
      }
    };
    await Promise.all(Array.from({ length: opts.concurrency ?? 8 }, worker));
    return ok;
  }

  /** Writes every process's log lines to a file and returns its path (for a failing scenario). */
  saveLogs(label: string): string {
    const dir = path.join(os.tmpdir(), 'tributary-faults-logs');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `${label.replace(/[^a-z0-9]+/gi, '-').slice(0, 80)}.log`);
    const text = this.procs
      .map((p, i) => [`# process ${i + 1} (pid ${p.pid})`, ...p.logs.map((l) => JSON.stringify(l))])
      .flat()
      .join('\n');
    writeFileSync(file, `${text}\n`);
    return file;
  }

  /** Another run on the same backend, disposed with this one (e.g. a control process). */
  sibling(): ScenarioRun {
    const other = new ScenarioRun(this.backend, this.handle);
    this.siblings.push(other);
    return other;
  }
  private readonly siblings: ScenarioRun[] = [];

  /** SIGKILLs whatever still runs, closes the producer and forgets the backend's names. */
  async dispose(): Promise<void> {
    for (const other of this.siblings.splice(0)) await other.dispose();
    for (const p of this.procs)
      if (p.child.exitCode === null && p.child.signalCode === null) {
        p.child.kill('SIGKILL');
        await p.exited;
      }
    await this.agent.close().catch(() => undefined);
    await this.handle.forget(this.broker).catch(() => undefined);
  }
}
