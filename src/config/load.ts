/**
 * Where configuration comes from, and in which order it wins (as viper does for Piri):
 * built-in defaults < options.defaults < TOML file < PIRI_* environment < explicit options.
 * This module only gathers and merges; validate.ts checks the winners and builds the Config.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, TomlError } from 'smol-toml';
import { ConfigError } from '../errors.ts';
import { errorMessage } from '../narrow.ts';
import { CONFIG_KEYS, type Config, type ConfigKey, type RawConfig, validateConfig } from './validate.ts';

export { CONFIG_KEYS } from './validate.ts';
export type { Config, ConfigKey, DatabaseConfig, PostgresConfig } from './validate.ts';

/**
 * Values that override the TOML file and PIRI_* environment (highest precedence), plus the environment to read; all
 * optional.
 */
export interface LoadConfigOptions {
  dataDir?: string;
  /** Piri's TOML config file; when absent, PIRI_CONFIG from env if set, else none. */
  configFile?: string;
  /** Default process.env. */
  env?: Record<string, string | undefined>;
  database?: {
    type?: string;
    postgres?: {
      url?: string;
      /** A direct connection for LISTEN when `url` goes through a transaction-mode pooler (docs/configuration.md). */
      directUrl?: string;
      maxOpenConns?: number | string;
      maxIdleConns?: number | string;
      /** Go duration text ("30m"), or a number of nanoseconds as Go reads an integer. */
      connMaxLifetime?: string | number;
      /** false behind a pooler that cannot carry named prepared statements (docs/configuration.md). */
      preparedStatements?: boolean | string;
    };
  };
  /** Below every other source but the built-in defaults, e.g. the CLI's ./data. */
  defaults?: { dataDir?: string; /** How messages name this source; default "option defaults.dataDir". */ from?: string };
}

/** Every key, with its environment variables, first one winning: viper's PIRI_ + key, plus Piri's legacy name. */
const ENV_VARS: Readonly<Record<ConfigKey, readonly string[]>> = {
  'repo.data_dir': ['PIRI_REPO_DATA_DIR', 'PIRI_DATA_DIR'],
  'repo.database.type': ['PIRI_REPO_DATABASE_TYPE'],
  'repo.database.postgres.url': ['PIRI_REPO_DATABASE_POSTGRES_URL'],
  'repo.database.postgres.direct_url': ['PIRI_REPO_DATABASE_POSTGRES_DIRECT_URL'],
  'repo.database.postgres.max_open_conns': ['PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS'],
  'repo.database.postgres.max_idle_conns': ['PIRI_REPO_DATABASE_POSTGRES_MAX_IDLE_CONNS'],
  'repo.database.postgres.conn_max_lifetime': ['PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME'],
  'repo.database.postgres.prepared_statements': ['PIRI_REPO_DATABASE_POSTGRES_PREPARED_STATEMENTS'],
};
const KEYS = CONFIG_KEYS;

/** What a message calls each explicit value's source: the library's option names, or the CLI's flags. */
export type ExplicitSourceNames = Readonly<Record<ConfigKey | 'config', string>>;

const OPTION_NAMES: ExplicitSourceNames = {
  config: 'option configFile',
  'repo.data_dir': 'option dataDir',
  'repo.database.type': 'option database.type',
  'repo.database.postgres.url': 'option database.postgres.url',
  'repo.database.postgres.direct_url': 'option database.postgres.directUrl',
  'repo.database.postgres.max_open_conns': 'option database.postgres.maxOpenConns',
  'repo.database.postgres.max_idle_conns': 'option database.postgres.maxIdleConns',
  'repo.database.postgres.conn_max_lifetime': 'option database.postgres.connMaxLifetime',
  'repo.database.postgres.prepared_statements': 'option database.postgres.preparedStatements',
};

/** Reads every source, merges them and validates the result. Throws ConfigError; the Config is deep-frozen. */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  return loadConfigNaming(options, OPTION_NAMES);
}

/** loadConfig, with the explicit values' sources named as given: the CLI names its flags. */
export function loadConfigNaming(options: LoadConfigOptions, names: ExplicitSourceNames): Config {
  return loadConfigWithSources(options, names).config;
}

/** loadConfigNaming, plus where each key's value came from ("default" when no source set it): the CLI's `config`. */
export function loadConfigWithSources(
  options: LoadConfigOptions,
  names: ExplicitSourceNames,
): { config: Config; sourceOf: (key: ConfigKey) => string } {
  const env = options.env ?? process.env;
  const fileFrom = options.configFile === undefined ? 'environment variable PIRI_CONFIG' : names.config;
  const fileName = options.configFile ?? env.PIRI_CONFIG;
  const configFile = fileName ? resolve(fileName) : undefined;
  const raw: RawConfig = {
    ...given([['repo.data_dir', options.defaults?.dataDir, options.defaults?.from ?? 'option defaults.dataDir']]),
    ...(configFile === undefined ? {} : fromFile(configFile, fileFrom)),
    ...fromEnv(env),
    ...fromOptions(options, names),
  };
  const config = validateConfig(raw, configFile);
  return { config, sourceOf: (key) => raw[key]?.from ?? 'default' };
}

function fromOptions({ dataDir, database }: LoadConfigOptions, names: ExplicitSourceNames): RawConfig {
  const pg = database?.postgres;
  const values: Record<ConfigKey, unknown> = {
    'repo.data_dir': dataDir,
    'repo.database.type': database?.type,
    'repo.database.postgres.url': pg?.url,
    'repo.database.postgres.direct_url': pg?.directUrl,
    'repo.database.postgres.max_open_conns': pg?.maxOpenConns,
    'repo.database.postgres.max_idle_conns': pg?.maxIdleConns,
    'repo.database.postgres.conn_max_lifetime': pg?.connMaxLifetime,
    'repo.database.postgres.prepared_statements': pg?.preparedStatements,
  };
  return given(KEYS.map((key) => [key, values[key], names[key]]));
}

/** An empty variable counts as unset, as with viper's AutomaticEnv. */
function fromEnv(env: Record<string, string | undefined>): RawConfig {
  return given(
    KEYS.map((key) => {
      const name = ENV_VARS[key].find((candidate) => env[candidate]);
      return [key, name && env[name], `environment variable ${name}`];
    }),
  );
}

/** Only the `repo` section is read; Piri's file has many others. */
function fromFile(file: string, fileFrom: string): RawConfig {
  const document = readToml(file, fileFrom);
  return given(KEYS.map((key) => [key, lookup(document, key, file), `file ${file}`]));
}

function readToml(file: string, fileFrom: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const reason = errorMessage(error);
    throw new ConfigError('config', `cannot read the config file ${file} (from ${fileFrom}): ${reason}`);
  }
  try {
    // A large integer arrives as a BigInt, to be refused naming its key, instead of failing the whole file.
    return parse(text, { integersAsBigInt: 'asNeeded' });
  } catch (error) {
    // smol-toml's message quotes the lines around the fault, which may hold the postgres URL: keep the reason only.
    const reason =
      error instanceof TomlError
        ? `${tomlReason(error.message)} (line ${error.line}, column ${error.column})`
        : 'unparseable';
    throw new ConfigError('config', `the config file ${file} (from ${fileFrom}) is not valid TOML: ${reason}`);
  }
}

/** The value at a dotted key, undefined when absent; a non-table on the way is an error naming that key. */
function lookup(document: Record<string, unknown>, key: ConfigKey, file: string): unknown {
  const parts = key.split('.');
  let node: unknown = document;
  for (const [depth, part] of parts.entries()) {
    if (node === undefined) return undefined;
    if (!isTable(node)) {
      throw new ConfigError(parts.slice(0, depth).join('.'), `expected a table in file ${file}, got ${typeName(node)}`);
    }
    node = Object.hasOwn(node, part) ? node[part] : undefined;
  }
  return node;
}

/** "Invalid TOML document: <reason>\n\n<the lines around the fault>" -> "<reason>". */
function tomlReason(message: string): string {
  return (message.split('\n', 1)[0] ?? '').replace(/^Invalid TOML document: /, '');
}

function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function typeName(value: unknown): string {
  return Array.isArray(value) ? 'an array' : value instanceof Date ? 'a date' : `a ${typeof value}`;
}

function given(entries: ReadonlyArray<readonly [ConfigKey, unknown, string]>): RawConfig {
  return Object.fromEntries(
    entries.filter(([, value]) => value !== undefined).map(([key, value, from]) => [key, { value, from }]),
  );
}
