import { Command, Option } from 'commander';
import { registerFlowCommands } from './commands/flow-commands.js';
import { registerDlqCommands } from './commands/dlq-program.js';

// Each command's module is imported when that command runs, so `send` or `get` load neither the
// broker nor any plugin (docs/architecture.md, "Lazy technology packages").

const collect = (value: string, previous: string[]): string[] => [...previous, value];

/** Parses argv and runs one command; resolves with the process exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let exitCode = 0;
  const program = new Command()
    .name('tributary')
    .description("Knative Eventing's Broker, Trigger and flow YAML, without the cluster")
    .showHelpAfterError()
    .exitOverride();

  program
    .command('run')
    .description('load manifests, validate them, and run brokers and triggers')
    .requiredOption('-f, --filename <path>', 'a YAML file or directory (repeatable)', collect, [])
    .option('--port <port>', 'HTTP port for ingress, health and metrics', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option(
      '--console',
      'serve the console at /console/ (default: when --host is loopback or --admin-token-file is given)',
    )
    .option('--no-console', 'do not serve the console')
    .option(
      '--watch',
      'apply edits to the manifest files while running (invalid edits are refused)',
    )
    .option(
      '--data-dir <dir>',
      'keep the events of the default broker class and InMemoryChannel durably in this directory (env TRIBUTARY_DATA_DIR)',
      process.env['TRIBUTARY_DATA_DIR'] || undefined,
    )
    .addOption(
      new Option('--durability <level>', 'with --data-dir: what a committed event survives')
        .choices(['process-crash', 'power-loss'])
        .default(process.env['TRIBUTARY_DURABILITY'] || 'process-crash'),
    )
    .option(
      '--tls-cert <file>',
      'PEM certificate: serve HTTPS only (reloaded when the file changes)',
    )
    .option('--tls-key <file>', 'PEM private key of --tls-cert')
    .option(
      '--tls-client-ca <file>',
      'PEM CA bundle: require client certificates it signed (mutual TLS)',
    )
    .addOption(
      new Option('--tls-min-version <version>', 'lowest TLS version accepted')
        .choices(['TLSv1.2', 'TLSv1.3'])
        .default('TLSv1.2'),
    )
    .option(
      '--admin-token-file <file>',
      'file holding the bearer token that /admin/*, /metrics and /console require',
    )
    .option(
      '--keys-dir <dir>',
      "where Tributary's signing keys persist (default: <data-dir>/keys with --data-dir, else in memory)",
    )
    .option(
      '--public-url <url>',
      "issuer URL of Tributary's delivery tokens (default: the server URL)",
    )
    .option(
      '--request-timeout <ms>',
      'time for a whole request (headers and body) to arrive',
      '30000',
    )
    .option('--headers-timeout <ms>', 'time for the request headers to arrive', '10000')
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
        .default(process.env['LOG_LEVEL'] ?? 'info'),
    )
    .addOption(
      new Option('--log-format <format>', 'log lines: JSON, pretty, or auto (pretty on a terminal)')
        .choices(['json', 'pretty', 'auto'])
        .default(process.env['LOG_FORMAT'] ?? 'auto'),
    )
    .action(async (opts) => {
      const { runCommand } = await import('./commands/run.js');
      exitCode = await runCommand(opts);
    });

  program
    .command('get')
    .description('show resources of a running tributary and whether they are Ready')
    .argument('<kind>', 'a kind, singular or plural (trigger, brokers, PingSource), or all')
    .argument('[name]', 'one resource')
    .option(
      '--server <url>',
      'base URL of the running tributary',
      process.env['TRIBUTARY_SERVER'] ?? 'http://127.0.0.1:8080',
    )
    .option('-n, --namespace <ns>', 'only this namespace')
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['table', 'json', 'yaml'])
        .default('table'),
    )
    .action(async (kind: string, name: string | undefined, opts) => {
      const { getCommand } = await import('./commands/get.js');
      exitCode = await getCommand(kind, name, opts);
    });

  registerDlqCommands(program, (code) => (exitCode = code));

  program
    .command('validate')
    .description('check manifests; print every problem as file:line:col: Kind/name: field: message')
    .requiredOption('-f, --filename <path>', 'a YAML file or directory (repeatable)', collect, [])
    .action(async (opts) => {
      const { validateCommand } = await import('./commands/validate.js');
      exitCode = await validateCommand(opts);
    });

  program
    .command('send')
    .description('post one CloudEvent to a broker (or any CloudEvents endpoint)')
    .argument('<url>', 'e.g. http://127.0.0.1:8080/default/default')
    .requiredOption('--type <type>', 'ce-type')
    .requiredOption('--source <source>', 'ce-source')
    .option('--id <id>', 'ce-id (default: a random UUID)')
    .option('--subject <subject>', 'ce-subject')
    .option('--data <data>', 'event data (a JSON value, or text with --content-type)')
    .option('--content-type <type>', 'datacontenttype', 'application/json')
    .option('-e, --extension <name=value>', 'an extension attribute (repeatable)', collect, [])
    .option('--token <token>', 'send Authorization: Bearer <token> (default: $TRIBUTARY_TOKEN)')
    .addOption(
      new Option('--mode <mode>', 'content mode')
        .choices(['binary', 'structured'])
        .default('binary'),
    )
    .action(async (url: string, opts) => {
      const { sendCommand } = await import('./commands/send.js');
      exitCode = await sendCommand(url, opts);
    });

  program
    .command('match')
    .description('evaluate events against every Trigger, without starting servers')
    .requiredOption('-f, --filename <path>', 'a YAML file or directory (repeatable)', collect, [])
    .requiredOption(
      '--event <file>',
      'a JSON CloudEvent, or a JSON array of them (repeatable)',
      collect,
      [],
    )
    .addOption(
      new Option('-o, --output <format>', 'output format')
        .choices(['text', 'json'])
        .default('text'),
    )
    .action(async (opts) => {
      const { matchCommand } = await import('./commands/match.js');
      exitCode = await matchCommand(opts);
    });

  program
    .command('codegen')
    .description('generate typed event definitions (defineEvent + zod) from the event catalog')
    .addOption(new Option('--lang <lang>', 'target language').choices(['ts']).makeOptionMandatory())
    .option(
      '--server <url>',
      'base URL of a running tributary (default: TRIBUTARY_SERVER or http://127.0.0.1:8080)',
    )
    .option(
      '-f, --filename <path>',
      'read EventTypes from manifests instead (repeatable)',
      collect,
      [],
    )
    .option('-n, --namespace <ns>', 'only this namespace (with --server)')
    .option('-o, --output <file>', 'write to this file instead of stdout')
    .action(async (opts) => {
      const { codegenCommand } = await import('./commands/codegen.js');
      exitCode = await codegenCommand(opts);
    });

  program
    .command('create')
    .description('scaffold a project')
    .command('function')
    .description(
      'scaffold a function project (handler, server, test, Function and Trigger manifests)',
    )
    .argument('<name>', 'function name (lower-case letters, digits and -)')
    .option('--dir <path>', 'target directory (default: ./<name>)')
    .action(async (name: string, opts) => {
      const { createFunctionCommand } = await import('./commands/create-function.js');
      exitCode = await createFunctionCommand(name, opts);
    });

  registerFlowCommands(program, (code) => {
    exitCode = code;
  });

  try {
    await program.parseAsync(argv as string[]);
  } catch (err) {
    const code = (err as { exitCode?: number }).exitCode;
    if (typeof code === 'number') return code;
    throw err;
  }
  return exitCode;
}
