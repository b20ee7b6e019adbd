/**
 * The command tree: names, flags, help and an example per command. Each action imports its module only when
 * it runs, so `--version`, `help` and a mistyped command load nothing of drizzle or the database drivers.
 */
import { Command, Option } from 'commander';
import { type CommandResult, type FlagValues, UsageError } from './command.ts';
import type { QueueSubcommand } from './commands/queue.ts';
import { addConfigFlags } from './config-flags.ts';

type Run = (flags: FlagValues) => Promise<CommandResult>;

/** Builds the program; `report` receives the result of whichever command ran. */
export function buildProgram(version: string, report: (result: CommandResult) => void): Command {
  const program = new Command('piri-db')
    .description("operate piri's four stores (scheduler, replicator, aggregator, egress_tracker) on SQLite or PostgreSQL")
    .version(version, '-V, --version')
    // main.ts turns every error into one line and an exit code; subcommands inherit both settings.
    .exitOverride()
    .configureOutput({ outputError: () => {} })
    .showSuggestionAfterError()
    .addHelpText(
      'after',
      '\nExit codes: 0 done, 1 failed (or a failing doctor check), 2 usage or configuration error.\n' +
        'docs/operations.md: backups, moving between backends, reading doctor\'s output, dead letters.',
    );

  /** A command with the configuration flags, --json where it prints a report, and an example. */
  const command = (parent: Command, name: string, summary: string, example: string, json = true) => {
    const sub = addConfigFlags(parent.command(name).description(summary));
    if (json) sub.option('--json', 'print the result as JSON');
    return sub.addHelpText('after', `\nExample:\n  $ ${example}`);
  };
  /** Runs `load()`'s module with the flags as typed (commander hands them over camelCased). */
  const action = (load: () => Promise<{ run: Run }>) =>
    async function (this: Command) {
      const { run } = await load();
      report(await run(kebabCase(this.opts())));
    };

  command(program, 'start', 'boot the four stores (migrating them) and print their status', 'piri-db start --data-dir ./data', false)
    .action(action(() => import('./commands/start.ts')));
  command(program, 'migrate', 'apply pending migrations of every store', 'piri-db migrate --db-type postgres --db-postgres-url postgres://piri@db/piri', false)
    .action(action(() => import('./commands/migrate.ts')));
  command(program, 'status', 'backend, and per store: location, migrations, tables and row counts (read-only)', 'piri-db status --data-dir ~/.storacha --json')
    .action(action(() => import('./commands/status.ts')));
  command(program, 'config', 'the effective configuration and where each value came from (passwords masked)', 'piri-db config --config piri.toml')
    .action(action(() => import('./commands/config.ts')));
  command(program, 'doctor', 'check integrity, migrations, triggers, table shapes, queues, WAL size (read-only); exit 1 if a check fails', 'piri-db doctor --json')
    .action(action(() => import('./commands/doctor.ts')));
  command(program, 'backup', 'a consistent backup of the four stores, while piri runs, with a verified manifest', 'piri-db backup --out /backups/piri-2026-01-01')
    .option('--out <dir>', 'a new or empty directory for the backup')
    .option('--method <method>', 'auto, pg_dump or logical (PostgreSQL; default auto)')
    .option('--pg-dump <path>', 'the pg_dump to run')
    .addOption(appTablesOption('back up'))
    .action(action(() => import('./commands/backup.ts')));
  command(program, 'restore', 'put a backup back into an empty installation of the same backend, verify, record it', 'piri-db restore --from /backups/piri-2026-01-01 --data-dir ./restored')
    .option('--from <dir>', 'a backup made by piri-db backup')
    .option('--pg-restore <path>', 'the pg_restore to run')
    .addOption(appTablesOption('restore (those the backup carries)'))
    .action(action(() => import('./commands/restore.ts')));
  copyCommand(program).action(action(() => import('./commands/copy.ts')));
  command(program, 'adopt', 'take over a Piri v0.2.4 installation in place: check it, back it up, migrate it keeping every row, run doctor', 'piri-db adopt --data-dir ~/.storacha --dry-run')
    .option('--dry-run', 'check and print the plan; change nothing, write no backup')
    .option('--backup-dir <dir>', 'a new or empty directory for the backup (default: <data dir>/piri-db-adopt-backup-<UTC time>)')
    .action(action(() => import('./commands/adopt.ts')));
  queueCommands(program, command, action);
  return program;
}

/** --app-tables: a value other than carry or skip is a usage error naming the flag (exit 2). */
function appTablesOption(verb: string): Option {
  return new Option('--app-tables <mode>', `tables the application added to the stores: ${verb} them (carry, the default) or leave them out (skip)`).choices([
    'carry',
    'skip',
  ]);
}

/** copy's source is named by --from-* flags and its target by --to-* flags, never by the plain ones. */
function copyCommand(program: Command): Command {
  return addConfigFlags(program.command('copy'), 'from-')
    .description('copy the whole installation to an empty one on another backend, verify, then record it')
    .option('--to-db-type <type>', 'the target backend: sqlite or postgres')
    .option('--to-db-postgres-url <url>', 'the target database (with --to-db-type postgres)')
    .option('--to-data-dir <dir>', "the target's data dir (default: the source's, switching it in place)")
    .option('--batch-size <n>', 'rows per insert')
    .addOption(appTablesOption('copy (same backend only)'))
    .option('--json', 'print the report as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        '  $ piri-db copy --from-data-dir ./data --to-db-type postgres --to-db-postgres-url postgres://piri@db/piri\n' +
        '  $ piri-db copy --from-db-type postgres --from-db-postgres-url postgres://piri@db/piri --to-db-type sqlite --to-data-dir ./back',
    );
}

function queueCommands(
  program: Command,
  command: (parent: Command, name: string, summary: string, example: string) => Command,
  action: (load: () => Promise<{ run: Run }>) => (this: Command) => Promise<void>,
): void {
  const queue = parent(program, 'queue', 'queue statistics and dead letters', 'stats, dead list, dead requeue, dead purge');
  const dead = parent(queue, 'dead', 'list, requeue or purge dead letters', 'list, requeue, purge');
  const select = (c: Command) =>
    c.option('--store <store>', 'only this store').option('--queue <queue>', 'only this queue');
  const filter = (c: Command) =>
    select(c)
      .option('--job-name <name>', 'only dead letters of this job name')
      .option('--older-than <duration>', 'only those moved at least this long ago, e.g. 24h')
      .option('--ids <ids>', 'only these message ids, comma-separated (with --queue)')
      .option('--limit <n>', 'at most this many, oldest first');
  const run = (sub: QueueSubcommand) =>
    action(async () => {
      const queue = await import('./commands/queue.ts');
      return { run: (flags) => queue.run(sub, flags) };
    });
  select(command(queue, 'stats', 'per queue: ready, in flight, delayed, exhausted, dead, oldest age (read-only, safe beside piri)', 'piri-db queue stats --store replicator'))
    .action(run('stats'));
  filter(command(dead, 'list', 'dead letters, oldest first: id, queue, job name, reason, deliveries, moved at, error (read-only)', 'piri-db queue dead list --older-than 24h --json'))
    .option('--with-body', 'include message bodies (base64; with --json)')
    .action(run('dead list'));
  filter(command(dead, 'requeue', 'put dead letters back as new deliveries (writes: on SQLite, stop piri first)', 'piri-db queue dead requeue --queue replication --ids a1,b2'))
    .action(run('dead requeue'));
  filter(command(dead, 'purge', 'delete dead letters for good; needs a filter or --all (writes: on SQLite, stop piri first)', 'piri-db queue dead purge --older-than 720h'))
    .option('--all', 'every dead letter of the selected queues')
    .action(run('dead purge'));
}

/**
 * A command that only groups subcommands. Called without a known one, it says which exist in one line (exit 2)
 * rather than commander's help on stderr; any flags given with it are beside the point then.
 */
function parent(of: Command, name: string, summary: string, subcommands: string): Command {
  const path = of.parent ? `${of.name()} ${name}` : name;
  return of
    .command(name)
    .description(summary)
    .argument('[subcommand]')
    .allowUnknownOption()
    .allowExcessArguments()
    .action((sub?: string) => {
      if (sub === undefined || sub.startsWith('-')) throw new UsageError(`${path} needs a subcommand: ${subcommands}`);
      throw new UsageError(`unknown ${path} subcommand ${JSON.stringify(sub)} (${subcommands})`);
    });
}

/** {dataDir: 'x'} -> {'data-dir': 'x'}: the commands name flags as the user typed them. Every flag is text or a switch. */
function kebabCase(options: Record<string, unknown>): FlagValues {
  const flags: FlagValues = {};
  for (const [key, value] of Object.entries(options)) {
    const name = key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
    if (value !== undefined && typeof value !== 'string' && typeof value !== 'boolean') {
      throw new TypeError(`--${name} has a value of type ${typeof value}, not text or a switch`);
    }
    flags[name] = value;
  }
  return flags;
}
