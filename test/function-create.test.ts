import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HttpSink, startHttpSink } from '@tributary/testkit';
import {
  type TributaryProcess,
  runCli,
  startTributary,
  writeManifests,
} from './support/tributary-process.js';

// `tributary create function` end to end: scaffold, run the project's own test, serve it with
// `npm start`'s command, point a real `tributary run` at it, and use the same handler module
// in-process. The scaffold's `@tributary/function` dependency is linked to this checkout's build.
const repo = fileURLToPath(new URL('../', import.meta.url));
const TYPE = 'com.example.greeter';

let root: string;
let dir: string;
let sink: HttpSink;
const children: ChildProcess[] = [];
const tributaries: TributaryProcess[] = [];

function replyTrigger(uri: string): string {
  return [
    'apiVersion: eventing.knative.dev/v1',
    'kind: Trigger',
    'metadata:',
    '  name: replies',
    'spec:',
    '  broker: default',
    '  filter:',
    '    attributes:',
    `      type: ${TYPE}.reply`,
    '  subscriber:',
    `    uri: ${uri}`,
    '',
  ].join('\n');
}

/** Spawns `node <args>` in `cwd`; resolves with exit code and output. */
function node(args: string[], cwd: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Starts the scaffolded server (`node server.mjs`, as `npm start` does) on a free port. */
function startServer(cwd: string): Promise<string> {
  const child = spawn(process.execPath, ['server.mjs'], {
    cwd,
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  return new Promise((resolve, reject) => {
    child.stderr.on('data', (d) => (out += d));
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /"url":"(http:[^"]+)"[^\n]*"msg":"function listening"/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`server.mjs exited with ${code}:\n${out}`)));
  });
}

async function sendGreeting(
  baseUrl: string,
  name: string | undefined,
  id: string,
): Promise<number> {
  const res = await fetch(`${baseUrl}/default/default`, {
    method: 'POST',
    headers: {
      'ce-specversion': '1.0',
      'ce-id': id,
      'ce-source': '/e2e',
      'ce-type': TYPE,
      'content-type': 'application/json',
    },
    body: JSON.stringify(name === undefined ? {} : { name }),
  });
  return res.status;
}

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'tributary-create-'));
  dir = path.join(root, 'greeter');
  const created = await runCli(['create', 'function', 'greeter', '--dir', dir]);
  expect(created.stderr).toBe('');
  expect(created.code).toBe(0);
  mkdirSync(path.join(dir, 'node_modules', '@tributary'), { recursive: true });
  symlinkSync(
    path.join(repo, 'packages/function'),
    path.join(dir, 'node_modules/@tributary/function'),
    'dir',
  );
  sink = await startHttpSink();
});

afterAll(async () => {
  for (const t of tributaries) await t.stop();
  for (const c of children) if (c.exitCode === null) c.kill('SIGTERM');
  await sink?.close();
  rmSync(root, { recursive: true, force: true });
});

describe('tributary create function', () => {
  it('writes a runnable project whose own tests pass', async () => {
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    expect(pkg.scripts['start']).toBe('node server.mjs');
    const tests = await node(['--test'], dir);
    expect(tests.out).toMatch(/# pass 3/);
    expect(tests.code).toBe(0);
  });

  it('refuses a bad name and a non-empty directory', async () => {
    const bad = await runCli(['create', 'function', 'Bad_Name', '--dir', path.join(root, 'x')]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/function name 'Bad_Name' is invalid/);
    const again = await runCli(['create', 'function', 'greeter', '--dir', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not empty/);
  });

  it('served with `npm start`: a real tributary run delivers to it and the reply reaches the broker', async () => {
    const url = await startServer(dir);
    const fnYaml = readFileSync(path.join(dir, 'function.yaml'), 'utf8').replace(
      'http://127.0.0.1:8081/',
      `${url}/`,
    );
    writeFileSync(path.join(dir, 'function.yaml'), fnYaml);
    const extra = writeManifests({ 'replies.yaml': replyTrigger(`${sink.url}/http`) });
    const t = await startTributary([
      path.join(dir, 'broker.yaml'),
      path.join(dir, 'function.yaml'),
      extra,
    ]);
    tributaries.push(t);
    expect(await sendGreeting(t.baseUrl, 'Ada', 'http-1')).toBe(202);
    const reply = await sink.waitForEvent((e) => e.attributes['type'] === `${TYPE}.reply`, 15_000);
    expect(JSON.parse(Buffer.from(reply.data!).toString('utf8'))).toEqual({
      message: 'Hello, Ada!',
    });
    expect(reply.attributes['source']).toBe('/e2e');
    await t.stop();
  });

  it('the same handler module runs in-process as a Function with spec.module', async () => {
    const fnYaml = readFileSync(path.join(dir, 'function.yaml'), 'utf8').replace(
      / {2}url: .*\n/,
      '  module: ./handler.mjs\n',
    );
    writeFileSync(path.join(dir, 'function-inprocess.yaml'), fnYaml);
    const extra = writeManifests({ 'replies.yaml': replyTrigger(`${sink.url}/inprocess`) });
    const t = await startTributary([
      path.join(dir, 'broker.yaml'),
      path.join(dir, 'function-inprocess.yaml'),
      extra,
    ]);
    tributaries.push(t);
    expect(await sendGreeting(t.baseUrl, 'Grace', 'inproc-1')).toBe(202);
    const req = await sink.waitForRequest((r) => r.url === '/inprocess', 15_000);
    expect(JSON.parse(Buffer.from(req.events[0]!.data!).toString('utf8'))).toEqual({
      message: 'Hello, Grace!',
    });
  });
});
