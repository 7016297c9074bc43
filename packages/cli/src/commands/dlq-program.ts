import { type Command, Option } from 'commander';
import type { DlqOptions } from './dlq.js';

/** The commands' code, imported when one of them runs (not for `tributary run`). */
const commands = () => import('./dlq.js');

/** Adds `tributary dlq list|show|redrive|purge` (docs/failed-deliveries.md) to the program. */
export function registerDlqCommands(program: Command, done: (exitCode: number) => void): void {
  const dlq = program
    .command('dlq')
    .description('list, show, redrive and purge the entries of the dead-letter store');
  const common = (c: Command): Command =>
    c
      .option(
        '--server <url>',
        'base URL of the running tributary',
        process.env['TRIBUTARY_SERVER'] ?? 'http://127.0.0.1:8080',
      )
      .option(
        '-n, --namespace <ns>',
        'only entries of Triggers and Subscriptions in this namespace',
      )
      .addOption(
        new Option('-o, --output <format>', 'output format')
          .choices(['table', 'json', 'yaml'])
          .default('table'),
      );
  common(
    dlq
      .command('list')
      .description('list dead-letter entries, oldest first')
      .option('--broker <ns/name>', 'only this broker')
      .option('--trigger <name>', 'only this trigger')
      .option('--channel <ns/name>', "only this channel's Subscriptions (Sequence steps, …)")
      .option('--subscription <name>', 'only this Subscription'),
  ).action(async (opts: DlqOptions) => done(await (await commands()).dlqListCommand(opts)));
  common(dlq.command('show').description('show one entry').argument('<id>', 'entry id')).action(
    async (id: string, opts: DlqOptions) => done(await (await commands()).dlqShowCommand(id, opts)),
  );
  common(
    dlq
      .command('redrive')
      .description(
        "deliver entries again through their trigger's (or subscription's) delivery spec; an entry leaves the store once delivered",
      )
      .argument('[id...]', 'entry ids')
      .option(
        '--all',
        'every entry (narrowed by --broker, --trigger, --channel, --subscription, -n)',
      )
      .option('--broker <ns/name>', 'with --all: only this broker')
      .option('--trigger <name>', 'with --all: only this trigger')
      .option('--channel <ns/name>', "with --all: only this channel's Subscriptions")
      .option('--subscription <name>', 'with --all: only this Subscription'),
  ).action(async (ids: string[], opts: DlqOptions) =>
    done(await (await commands()).dlqRedriveCommand(ids, opts)),
  );
  common(
    dlq
      .command('purge')
      .description('delete entries without delivering them')
      .argument('[id...]', 'entry ids')
      .option(
        '--all',
        'every entry (narrowed by --broker, --trigger, --channel, --subscription, -n)',
      )
      .option('--broker <ns/name>', 'with --all: only this broker')
      .option('--trigger <name>', 'with --all: only this trigger')
      .option('--channel <ns/name>', "with --all: only this channel's Subscriptions")
      .option('--subscription <name>', 'with --all: only this Subscription'),
  ).action(async (ids: string[], opts: DlqOptions) =>
    done(await (await commands()).dlqPurgeCommand(ids, opts)),
  );
}
