/**
 * The CLI's configuration flags, named after Piri's (`--data-dir`, `--db-type`, `--db-postgres-url`, ...),
 * layered over the same sources as the library: defaults, TOML file, PIRI_* environment.
 */
import type { ParseArgsConfig } from 'node:util';
import { type Config, loadConfig } from '../config/load.ts';

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

/** `fallbackDataDir` sits below every other source: `pnpm start` keeps its data under ./data unless told. */
export function configFromFlags(flags: ConfigFlags, fallbackDataDir?: string): Config {
  return loadConfig({
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
  });
}
