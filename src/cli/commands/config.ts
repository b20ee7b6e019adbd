import { CONFIG_KEYS, type ConfigKey } from '../../config/load.ts';
import { redactUrl } from '../../config/redact.ts';
import { formatDuration } from '../../config/duration.ts';
import type { CommandResult, FlagValues } from '../command.ts';
import { configWithSources } from '../load-config.ts';

/** The effective configuration, key by key, with the source that set each value; the URLs' passwords masked. */
export async function run(flags: FlagValues): Promise<CommandResult> {
  const { config, sourceOf } = configWithSources(flags);
  const pg = config.database.type === 'postgres' ? config.database.postgres : undefined;
  const values: Record<ConfigKey, string | number | boolean | undefined> = {
    'repo.data_dir': config.dataDir,
    'repo.database.type': config.database.type,
    'repo.database.postgres.url': pg && redactUrl(pg.url),
    'repo.database.postgres.direct_url': pg?.directUrl && redactUrl(pg.directUrl),
    'repo.database.postgres.max_open_conns': pg?.maxOpenConns,
    'repo.database.postgres.max_idle_conns': pg?.maxIdleConns,
    'repo.database.postgres.conn_max_lifetime': pg && formatDuration(pg.connMaxLifetimeMs),
    'repo.database.postgres.prepared_statements': pg?.preparedStatements,
  };
  // The postgres keys mean nothing on SQLite: shown only when they apply.
  const keys = CONFIG_KEYS.filter((key) => values[key] !== undefined);
  if (flags.json) {
    const json = {
      configFile: config.configFile ?? null,
      values: Object.fromEntries(keys.map((key) => [key, { value: values[key], from: sourceOf(key) }])),
    };
    return { output: JSON.stringify(json, null, 2) };
  }
  const width = Math.max(...keys.map((key) => key.length));
  const lines = keys.map((key) => `${key.padEnd(width)}  ${values[key]}  (${sourceOf(key)})`);
  lines.push(`config file: ${config.configFile ?? 'none (--config or PIRI_CONFIG names one)'}`);
  return { output: lines.join('\n') };
}
