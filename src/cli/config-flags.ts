/**
 * The CLI's configuration flags, named after Piri's (`--data-dir`, `--db-type`, `--db-postgres-url`, ...),
 * layered over the same sources as the library: defaults, TOML file, PIRI_* environment. Declarations only:
 * load-config.ts reads them, so help and --version load nothing of the config loader.
 */
import type { Command } from 'commander';
import type { ConfigKey } from '../config/load.ts';

/**
 * Every command's data dir when no flag, file or variable names one, so `pnpm start` and `piri-db status` look
 * at the same place. Relative to the working directory; the library's own default (~/.storacha) is Piri's.
 */
export const CLI_DATA_DIR = './data';

/** Flag name (without the prefix) -> the key it sets. */
export const FLAG_KEYS = {
  'data-dir': 'repo.data_dir',
  'db-type': 'repo.database.type',
  'db-postgres-url': 'repo.database.postgres.url',
  'db-postgres-direct-url': 'repo.database.postgres.direct_url',
  'db-postgres-max-open-conns': 'repo.database.postgres.max_open_conns',
  'db-postgres-max-idle-conns': 'repo.database.postgres.max_idle_conns',
  'db-postgres-conn-max-lifetime': 'repo.database.postgres.conn_max_lifetime',
  'db-postgres-prepared-statements': 'repo.database.postgres.prepared_statements',
} as const satisfies Record<string, ConfigKey>;

export type FlagName = keyof typeof FLAG_KEYS;
export type ConfigFlags = { config?: string } & { [name: string]: string | boolean | undefined };

const HELP: Record<FlagName, [string, string]> = {
  'data-dir': ['<dir>', `where the stores live (default ${CLI_DATA_DIR}; env PIRI_REPO_DATA_DIR)`],
  'db-type': ['<type>', 'sqlite or postgres (env PIRI_REPO_DATABASE_TYPE)'],
  'db-postgres-url': ['<url>', 'postgres://user:password@host/db (env PIRI_REPO_DATABASE_POSTGRES_URL)'],
  'db-postgres-direct-url': ['<url>', 'a direct connection for LISTEN when --db-postgres-url is a pooler (env PIRI_REPO_DATABASE_POSTGRES_DIRECT_URL)'],
  'db-postgres-max-open-conns': ['<n>', 'pool size (env PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS)'],
  'db-postgres-max-idle-conns': ['<n>', 'idle connections kept (env PIRI_REPO_DATABASE_POSTGRES_MAX_IDLE_CONNS)'],
  'db-postgres-conn-max-lifetime': ['<duration>', 'e.g. 30m (env PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME)'],
  'db-postgres-prepared-statements': ['<bool>', 'false behind PgBouncer < 1.21 (env PIRI_REPO_DATABASE_POSTGRES_PREPARED_STATEMENTS)'],
};

/** Adds --config and the database flags to a command; `prefix` (copy's "from-") names another installation. */
export function addConfigFlags(command: Command, prefix = ''): Command {
  if (prefix === '') command.option('--config <file>', "piri's TOML config file (env PIRI_CONFIG)");
  else command.option('--config <file>', "the source's TOML config file (env PIRI_CONFIG)");
  for (const [name, [arg, help]] of Object.entries(HELP)) command.option(`--${prefix}${name} ${arg}`, help);
  return command;
}
