/**
 * The CLI's configuration flags, named after Piri's (`--data-dir`, `--db-type`, `--db-postgres-url`, ...),
 * layered over the same sources as the library: defaults, TOML file, PIRI_* environment.
 */
import type { ParseArgsConfig } from 'node:util';
import { type Config, type ExplicitSourceNames, loadConfigNaming } from '../config/load.ts';

export const CONFIG_FLAGS = {
  config: { type: 'string' },
  'data-dir': { type: 'string' },
  'db-type': { type: 'string' },
  'db-postgres-url': { type: 'string' },
  'db-postgres-max-open-conns': { type: 'string' },
  'db-postgres-max-idle-conns': { type: 'string' },
  'db-postgres-conn-max-lifetime': { type: 'string' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export type ConfigFlags = { [K in keyof typeof CONFIG_FLAGS]?: string };

/** A configuration error names the flag the user typed, not the library option it became. */
const FLAG_NAMES: ExplicitSourceNames = {
  config: 'flag --config',
  'repo.data_dir': 'flag --data-dir',
  'repo.database.type': 'flag --db-type',
  'repo.database.postgres.url': 'flag --db-postgres-url',
  'repo.database.postgres.max_open_conns': 'flag --db-postgres-max-open-conns',
  'repo.database.postgres.max_idle_conns': 'flag --db-postgres-max-idle-conns',
  'repo.database.postgres.conn_max_lifetime': 'flag --db-postgres-conn-max-lifetime',
};

/** `fallbackDataDir` sits below every other source: `pnpm start` keeps its data under ./data unless told. */
export function configFromFlags(flags: ConfigFlags, fallbackDataDir?: string): Config {
  return loadConfigNaming(
    {
      configFile: flags.config,
      dataDir: flags['data-dir'],
      defaults: fallbackDataDir ? { dataDir: fallbackDataDir } : undefined,
      database: {
        type: flags['db-type'],
        postgres: {
          url: flags['db-postgres-url'],
          maxOpenConns: flags['db-postgres-max-open-conns'],
          maxIdleConns: flags['db-postgres-max-idle-conns'],
          connMaxLifetime: flags['db-postgres-conn-max-lifetime'],
        },
      },
    },
    FLAG_NAMES,
  );
}
