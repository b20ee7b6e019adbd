/** The configuration that the CLI's flags select, over piri's config file and PIRI_* environment. */
import { type Config, type ConfigKey, type ExplicitSourceNames, loadConfigWithSources } from '../config/load.ts';
import { CLI_DATA_DIR, type ConfigFlags, FLAG_KEYS, type FlagName } from './config-flags.ts';

/**
 * The configuration the flags (with `prefix`) select, over file and environment (`env`, default process.env);
 * errors name the flags.
 */
export function configFromFlags(flags: ConfigFlags, prefix = '', env?: Record<string, string | undefined>): Config {
  return configWithSources(flags, prefix, env).config;
}

/** configFromFlags, and where each key's value came from (`piri-db config`). */
export function configWithSources(
  flags: ConfigFlags,
  prefix = '',
  env?: Record<string, string | undefined>,
): { config: Config; sources: Record<ConfigKey, string> } {
  const flag = (name: FlagName) => {
    const value = flags[`${prefix}${name}`];
    return typeof value === 'string' ? value : undefined;
  };
  const names = Object.fromEntries([
    ['config', 'flag --config'],
    ...Object.entries(FLAG_KEYS).map(([name, key]) => [key, `flag --${prefix}${name}`]),
  ]) as ExplicitSourceNames;
  return loadConfigWithSources(
    {
      configFile: typeof flags.config === 'string' ? flags.config : undefined,
      env,
      dataDir: flag('data-dir'),
      defaults: { dataDir: CLI_DATA_DIR, from: 'default of the piri-db CLI' },
      database: {
        type: flag('db-type'),
        postgres: {
          url: flag('db-postgres-url'),
          directUrl: flag('db-postgres-direct-url'),
          maxOpenConns: flag('db-postgres-max-open-conns'),
          maxIdleConns: flag('db-postgres-max-idle-conns'),
          connMaxLifetime: flag('db-postgres-conn-max-lifetime'),
          preparedStatements: flag('db-postgres-prepared-statements'),
        },
      },
    },
    names,
  );
}
