/**
 * piri-db CLI. Every command prints its result on stdout; every failure is one line on stderr and a non-zero
 * exit (2 for usage and configuration errors, 1 for the rest). Passwords never reach either stream.
 */
import { parseArgs } from 'node:util';
import { redactSecrets, urlSecrets } from '../config/redact.ts';
import { ConfigError } from '../errors.ts';
import { migrateCommand } from './commands/migrate.ts';
import { startCommand } from './commands/start.ts';
import { statusCommand } from './commands/status.ts';
import { CONFIG_FLAGS, configFromFlags } from './config-flags.ts';

const USAGE = `usage: piri-db <command> [flags]

commands:
  start              boot the four stores (migrating them) and print their status
  migrate            apply pending migrations of every store
  status [--json]    backend, and per store: location, migrations, tables and row counts (read-only)

configuration flags (override piri's TOML file and PIRI_* environment variables):
  --config FILE  --data-dir DIR  --db-type sqlite|postgres  --db-postgres-url URL
  --db-postgres-max-open-conns N  --db-postgres-max-idle-conns N  --db-postgres-conn-max-lifetime DURATION`;

class UsageError extends Error {}

async function run(argv: string[]): Promise<string> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { ...CONFIG_FLAGS, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  const [command, ...rest] = positionals;
  if (values.help || !command) return USAGE;
  if (rest.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(rest[0])}`);
  const flags = values;
  switch (command) {
    case 'start':
      return startCommand(configFromFlags(flags, './data'));
    case 'migrate':
      return migrateCommand(configFromFlags(flags));
    case 'status':
      return statusCommand(configFromFlags(flags), values.json === true);
    default:
      throw new UsageError(`unknown command ${JSON.stringify(command)} (try --help)`);
  }
}

try {
  process.stdout.write(`${await run(process.argv.slice(2))}\n`);
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
