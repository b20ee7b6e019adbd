/**
 * piri-db CLI. Every command prints its result on stdout (progress of long work goes to stderr); every
 * failure is one line on stderr and a non-zero exit (2 for usage and configuration errors, 1 for the rest).
 * Passwords never reach either stream.
 */
import { parseArgs } from 'node:util';
import { redactSecrets, urlSecrets } from '../config/redact.ts';
import { ConfigError } from '../errors.ts';
import { type Command, type CommandResult, type FlagSpec, type FlagValues, UsageError } from './command.ts';
import { backupCommand } from './commands/backup.ts';
import { copyCommand } from './commands/copy.ts';
import { doctorCommand } from './commands/doctor.ts';
import { migrateCommand } from './commands/migrate.ts';
import { queueCommand } from './commands/queue.ts';
import { restoreCommand } from './commands/restore.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';
import { CONFIG_FLAGS, configFromFlags } from './config-flags.ts';

const COMMANDS: Record<string, Command> = {
  start: {
    usage: 'start              boot the four stores (migrating them) and print their status',
    run: async (flags) => ({ output: await startCommand(configFromFlags(flags, './data')) }),
  },
  migrate: {
    usage: 'migrate            apply pending migrations of every store',
    run: async (flags) => ({ output: await migrateCommand(configFromFlags(flags)) }),
  },
  status: {
    usage: 'status [--json]    backend, and per store: location, migrations, tables and row counts (read-only)',
    run: async (flags) => ({ output: await statusCommand(configFromFlags(flags), flags.json === true) }),
  },
  doctor: doctorCommand,
  backup: backupCommand,
  restore: restoreCommand,
  copy: copyCommand,
  queue: queueCommand,
};

const COMMON_FLAGS = { ...CONFIG_FLAGS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } as const;

const USAGE = `usage: piri-db <command> [flags]

commands:
${Object.values(COMMANDS)
  .map((c) => `  ${c.usage}`)
  .join('\n')}

configuration flags (override piri's TOML file and PIRI_* environment variables):
  --config FILE  --data-dir DIR  --db-type sqlite|postgres  --db-postgres-url URL
  --db-postgres-max-open-conns N  --db-postgres-max-idle-conns N  --db-postgres-conn-max-lifetime DURATION
  (copy: the configuration is the source; --data-dir is the target's data dir, --from-data-dir the source's)

docs/operations.md: backups, moving between backends, reading doctor's output, dead letters.`;

async function run(argv: string[]): Promise<CommandResult> {
  const options: FlagSpec = Object.assign({}, COMMON_FLAGS, ...Object.values(COMMANDS).map((c) => c.flags ?? {}));
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options });
  const [name, ...rest] = positionals;
  if (values.help || !name) return { output: USAGE };
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${JSON.stringify(name)} (try --help)`);
  if (rest.length > 0 && !command.subcommands) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  for (const flag of Object.keys(values)) {
    if (!(flag in COMMON_FLAGS) && !(flag in (command.flags ?? {}))) {
      throw new UsageError(`--${flag} does not apply to ${name} (try --help)`);
    }
  }
  return command.run(values as FlagValues, rest);
}

try {
  const result = await run(process.argv.slice(2));
  process.stdout.write(`${result.output}\n`);
  process.exitCode = result.exitCode ?? 0;
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  // A safety net: messages are redacted where they are made, but a URL may also arrive through the argv.
  const secrets = process.argv.flatMap((arg) => (arg.includes('://') ? urlSecrets(arg) : []));
  process.stderr.write(`piri-db: ${redactSecrets(message.split('\n')[0] ?? '', secrets)}\n`);
  process.exitCode = error instanceof UsageError || error instanceof ConfigError || isParseArgsError(error) ? 2 : 1;
}

function isParseArgsError(error: unknown): boolean {
  return typeof (error as { code?: unknown }).code === 'string' && (error as { code: string }).code.startsWith('ERR_PARSE_ARGS');
}
