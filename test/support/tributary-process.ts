import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../packages/cli/bin/tributary.js', import.meta.url));

export interface TributaryProcess {
  /** Base URL of the server, e.g. http://127.0.0.1:41234 */
  readonly baseUrl: string;
  /** Every log line printed so far (parsed JSON where it parses). */
  readonly logs: Array<Record<string, unknown>>;
  readonly child: ChildProcess;
  /** Resolves with the first log line (already printed or still to come) that satisfies `pred`. */
  waitForLog(
    pred: (line: Record<string, unknown>) => boolean,
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  /** Sends a signal and resolves with the exit code. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** Writes manifests into a fresh directory and returns it. */
export function writeManifests(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'tributary-e2e-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(path.join(dir, name), text);
  return dir;
}

/** Runs the built `tributary` command with the given arguments and collects its output. */
export function runCli(
  args: string[],
  cwd?: string,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Options of {@link startTributary}. */
export interface StartOptions {
  /** The log message that counts as started (it must carry `url`). @default 'tributary running' */
  readonly until?: string;
  /** Node options placed before the command (e.g. `--import <hook>`). */
  readonly nodeArgs?: readonly string[];
  /** Extra environment variables of the child. */
  readonly env?: Readonly<Record<string, string>>;
}

/**
 * Starts `tributary run -f <manifests>` on a free port as a user would, and resolves once it
 * logged that it is running (or the `until` message).
 */
export function startTributary(
  manifests: string | string[],
  extraArgs: string[] = [],
  options: StartOptions = {},
): Promise<TributaryProcess> {
  const until = options.until ?? 'tributary running';
  const files = Array.isArray(manifests) ? manifests : [manifests];
  const args = [
    ...(options.nodeArgs ?? []),
    CLI,
    'run',
    ...files.flatMap((f) => ['-f', f]),
    '--port',
    '0',
    '--log-level',
    'debug',
    ...extraArgs,
  ];
  const child = spawn(process.execPath, args, {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const logs: Array<Record<string, unknown>> = [];
  let stderr = '';
  child.stderr?.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    let buf = '';
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    child.on('exit', (code) =>
      reject(new Error(`tributary exited with ${code} before it was running:\n${stderr}`)),
    );
    child.stdout?.on('data', (d: Buffer) => {
      buf += d.toString('utf8');
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        let entry: Record<string, unknown>;
        try {
          entry = JSON.parse(line) as Record<string, unknown>;
        } catch {
          entry = { msg: line };
        }
        logs.push(entry);
        if (entry['msg'] === until) {
          resolve({
            baseUrl: String(entry['url']),
            logs,
            child,
            waitForLog: (pred, timeoutMs = 10_000) =>
              new Promise((resolveLog, rejectLog) => {
                const started = Date.now();
                const poll = () => {
                  const hit = logs.find(pred);
                  if (hit) return resolveLog(hit);
                  if (Date.now() - started > timeoutMs)
                    return rejectLog(new Error(`no matching log line within ${timeoutMs} ms`));
                  setTimeout(poll, 20);
                };
                poll();
              }),
            stop: (signal = 'SIGTERM') => {
              if (child.exitCode === null) child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
  });
}
