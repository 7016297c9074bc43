import { Option, type Command } from 'commander';
import { stringify } from 'yaml';
import type { ReplayRecord } from '@tributary/broker';
import { adminCall, columns } from './admin-client.js';

/**
 * `tributary replay …`, `tributary pause trigger <name>` and `tributary resume trigger <name>`
 * (docs/failed-deliveries.md): thin clients of the admin API of a running tributary.
 */

type WireReplay = Omit<ReplayRecord, 'cursor'>;
/** The admin API's replays collection (as `ADMIN_REPLAYS_PATH` in @tributary/broker; not imported, so the CLI starts without loading the broker). */
const ADMIN_REPLAYS_PATH = '/admin/v1/replays';
const serverOption = () =>
  new Option('--server <url>', 'base URL of the running tributary').default(
    process.env['TRIBUTARY_SERVER'] ?? 'http://127.0.0.1:8080',
  );
const outputOption = () =>
  new Option('-o, --output <format>', 'output format')
    .choices(['table', 'json', 'yaml'])
    .default('table');

/** Adds the commands to `program`; `done` receives each command's exit code. */
export function registerFlowCommands(program: Command, done: (code: number) => void): void {
  const replay = program
    .command('replay')
    .description(
      're-deliver archived events of a time window (needs tributary.dev/archive-retention)',
    )
    .option('--broker <ns/name>', 'the archived broker, e.g. default/default')
    .option('--from <time>', 'start of the window (RFC 3339)')
    .option('--to <time>', 'end of the window (RFC 3339)')
    .option('--trigger <name>', 'only this trigger (default: every trigger whose filter matches)')
    .option('--filter <cesql>', 'only events matching this CESQL expression')
    .option('--detach', 'print the replay id and return without waiting')
    .addOption(serverOption())
    .action(async (opts) => done(await startReplay(opts)));
  replay
    .command('list')
    .description('list replays and their progress')
    .addOption(outputOption())
    // --server belongs to `replay` (commander parses it there); optsWithGlobals merges it in.
    .action(async (_opts, cmd: Command) => done(await listReplays(cmd.optsWithGlobals())));
  replay
    .command('cancel')
    .description('cancel a running replay')
    .argument('<id>', 'the replay id (see `tributary replay list`)')
    .action(async (id: string, _opts, cmd: Command) => {
      const opts = cmd.optsWithGlobals<{ server: string }>();
      const r = await adminCall<WireReplay>(
        opts.server,
        'DELETE',
        `${ADMIN_REPLAYS_PATH}/${encodeURIComponent(id)}`,
      );
      if (r) process.stdout.write(`replay ${r.id} ${r.state}\n`);
      done(r ? 0 : 1);
    });
  for (const op of ['pause', 'resume'] as const) {
    program
      .command(op)
      .description(
        op === 'pause' ? 'hold every delivery of a trigger' : 'deliver what a paused trigger held',
      )
      .argument('<kind>', 'trigger')
      .argument('<name>', 'the trigger name')
      .option('-n, --namespace <ns>', 'the trigger namespace', 'default')
      .addOption(serverOption())
      .action(async (kind: string, name: string, opts) => {
        if (!['trigger', 'triggers'].includes(kind.toLowerCase())) {
          process.stderr.write(
            `cannot ${op} a '${kind}': only triggers can be paused (tributary ${op} trigger <name>)\n`,
          );
          return done(1);
        }
        const path = `/admin/v1/triggers/${encodeURIComponent(opts.namespace)}/${encodeURIComponent(name)}/${op}`;
        const r = await adminCall<{ trigger: string }>(opts.server, 'POST', path);
        if (r) process.stdout.write(`trigger.eventing.knative.dev/${name} ${op}d\n`);
        done(r ? 0 : 1);
      });
  }
}

async function startReplay(opts: {
  server: string;
  broker?: string;
  from?: string;
  to?: string;
  trigger?: string;
  filter?: string;
  detach?: boolean;
}): Promise<number> {
  for (const f of ['broker', 'from', 'to'] as const)
    if (opts[f] === undefined) {
      process.stderr.write(
        `--${f} is required: tributary replay --broker <ns>/<name> --from <RFC 3339> --to <RFC 3339> (or replay list / replay cancel <id>)\n`,
      );
      return 1;
    }
  const started = await adminCall<WireReplay>(opts.server, 'POST', ADMIN_REPLAYS_PATH, {
    broker: opts.broker,
    from: opts.from,
    to: opts.to,
    ...(opts.trigger !== undefined ? { trigger: opts.trigger } : {}),
    ...(opts.filter !== undefined ? { filter: opts.filter } : {}),
  });
  if (!started) return 1;
  process.stdout.write(
    `replay ${started.id} started: ${started.total ?? '?'} archived events in the window\n`,
  );
  if (opts.detach) return 0;
  let last = '';
  for (;;) {
    const list = await adminCall<{ items: WireReplay[] }>(opts.server, 'GET', ADMIN_REPLAYS_PATH);
    const r = list?.items.find((x) => x.id === started.id);
    if (!r) return 1;
    const line = `replay ${r.id}: ${r.state}, ${r.delivered} delivered, ${r.failed} failed (of ${r.total ?? '?'} events)`;
    if (line !== last) process.stderr.write(`${line}\n`);
    last = line;
    if (r.state !== 'running') {
      if (r.error) process.stderr.write(`error: ${r.error}\n`);
      return r.state === 'done' ? 0 : 1;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

async function listReplays(opts: { server: string; output: string }): Promise<number> {
  const list = await adminCall<{ items: WireReplay[] }>(opts.server, 'GET', ADMIN_REPLAYS_PATH);
  if (!list) return 1;
  if (opts.output === 'json') process.stdout.write(`${JSON.stringify(list, null, 2)}\n`);
  else if (opts.output === 'yaml') process.stdout.write(stringify(list));
  else if (list.items.length === 0) process.stderr.write('No replays found.\n');
  else
    process.stdout.write(
      columns(
        ['ID', 'BROKER', 'TRIGGER', 'STATE', 'DELIVERED', 'FAILED', 'TOTAL', 'FROM', 'TO'],
        list.items.map((r) => [
          r.id,
          r.broker,
          r.trigger ?? '*',
          r.state,
          String(r.delivered),
          String(r.failed),
          String(r.total ?? ''),
          r.from,
          r.to,
        ]),
      ),
    );
  return 0;
}
