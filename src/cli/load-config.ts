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
): { config: Config; sourceOf: (key: ConfigKey) => string } {
  const flag = (name: FlagName) => {
    const value = flags[`${prefix}${name}`];
    return typeof value === 'string' ? value : undefined;
  };
  const named = (name: FlagName) => `flag --${prefix}${name}`;
  const names: ExplicitSourceNames = {
    config: 'flag --config',
    [FLAG_KEYS['data-dir']]: named('data-dir'),
    [FLAG_KEYS['db-type']]: named('db-type'),
    [FLAG_KEYS['db-postgres-url']]: named('db-postgres-url'),
    [FLAG_KEYS['db-postgres-direct-url']]: named('db-postgres-direct-url'),
    [FLAG_KEYS['db-postgres-max-open-conns']]: named('db-postgres-max-open-conns'),
    [FLAG_KEYS['db-postgres-max-idle-conns']]: named('db-postgres-max-idle-conns'),
    [FLAG_KEYS['db-postgres-conn-max-lifetime']]: named('db-postgres-conn-max-lifetime'),
    [FLAG_KEYS['db-postgres-prepared-statements']]: named('db-postgres-prepared-statements'),
  };
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
