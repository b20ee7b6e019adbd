import { homedir } from 'node:os';
import { resolve } from 'node:path';
import { ConfigError } from '../errors.ts';
import { errorMessage } from '../narrow.ts';
import { formatDuration, parseGoDuration } from './duration.ts';
import { redactSecrets, redactUrl, urlSecrets } from './redact.ts';

/**
 * The PostgreSQL connection settings (Piri's repo.database.postgres keys): the URL, pool sizes, and the connection
 * lifetime in milliseconds.
 */
export interface PostgresConfig {
  url: string;
  /**
   * A connection straight to the server, for what a transaction-mode pooler (PgBouncer) in front of `url` cannot
   * carry: the wake-ups' LISTEN. Absent: LISTEN uses `url`.
   */
  directUrl?: string;
  maxOpenConns: number;
  maxIdleConns: number;
  connMaxLifetimeMs: number;
  /**
   * Whether statements run as named prepared statements (the default). False for a transaction-mode pooler that
   * cannot carry them: PgBouncer before 1.21, or without max_prepared_statements.
   */
  preparedStatements: boolean;
}
/** Which backend the installation runs on; only the postgres variant carries connection settings. */
export type DatabaseConfig = { type: 'sqlite' } | { type: 'postgres'; postgres: PostgresConfig };
/**
 * The validated configuration: what loadConfig returns and what openDatabases and the operations take; data_dir is
 * always absolute.
 */
export interface Config {
  /** Absolute. */
  dataDir: string;
  database: DatabaseConfig;
  /** Absolute path of the TOML file read, if any. */
  configFile?: string;
}

/** Every configuration key piri-db reads (Piri's names), in the order `piri-db config` lists them. */
export const CONFIG_KEYS = [
  'repo.data_dir',
  'repo.database.type',
  'repo.database.postgres.url',
  'repo.database.postgres.direct_url',
  'repo.database.postgres.max_open_conns',
  'repo.database.postgres.max_idle_conns',
  'repo.database.postgres.conn_max_lifetime',
  'repo.database.postgres.prepared_statements',
] as const;
export type ConfigKey = (typeof CONFIG_KEYS)[number];

/** A value as its source gave it, and that source in words: "environment variable PIRI_REPO_DATA_DIR". */
export interface RawValue {
  readonly value: unknown;
  readonly from: string;
}
/** The winning value of each key after merging the sources; absent keys take the built-in default. */
export type RawConfig = Partial<Record<ConfigKey, RawValue>>;

const DEFAULT_DATA_DIR = '~/.storacha';
const DEFAULT_POOL_SIZE = 5;
/**
 * The largest pool: postgres-js builds every one of its `max` connection slots when the pool is made, so 1e5 took
 * 20 s to boot, 2e7 ran out of memory and 2^32 threw `Invalid array length`. A server's default is 100 connections.
 */
export const MAX_POOL_SIZE = 1000;
const DEFAULT_CONN_MAX_LIFETIME_MS = 30 * 60_000;
/**
 * The longest connection lifetime a pool can keep: postgres-js sets a timer of max_lifetime whole seconds, and a Node
 * timer longer than 2^31 - 1 ms fires after 1 ms (a connection closed as soon as it opened). 596h31m23s.
 */
export const MAX_CONN_MAX_LIFETIME_MS = 2_147_483_000;

const ACCEPTED = {
  dataDir: 'a directory path; a leading ~ is the home directory, a relative path starts at the working directory',
  type: 'sqlite or postgres (empty means sqlite)',
  url: 'a URL such as postgres://user:password@host:5432/db?sslmode=require (scheme postgres: or postgresql:)',
  poolSize: `an integer from 1 to ${MAX_POOL_SIZE}; 0 or less means the default, ${DEFAULT_POOL_SIZE}`,
  lifetime:
    'a Go duration such as 30m, 1h30m, 90s or 500ms, or an integer number of nanoseconds, ' +
    `up to ${formatDuration(MAX_CONN_MAX_LIFETIME_MS)} (the longest a timer can wait); 0 or less means the default, 30m0s`,
  bool: 'true or false (a TOML boolean, or text as Go reads a bool: 1, t, T, TRUE, true, True, 0, f, F, FALSE, false, False)',
} as const;

const GO_BOOLS: Readonly<Record<string, boolean>> = Object.fromEntries([
  ...['1', 't', 'T', 'TRUE', 'true', 'True'].map((text) => [text, true]),
  ...['0', 'f', 'F', 'FALSE', 'false', 'False'].map((text) => [text, false]),
]);

/** Checks the merged values and builds the frozen Config. Every failure is a ConfigError naming the key. */
export function validateConfig(raw: RawConfig, configFile?: string): Config {
  // Any value that carries a URL password (wherever it was put) is masked in every message.
  const secrets = Object.values(raw).flatMap(({ value }) => (typeof value === 'string' ? urlSecrets(value) : []));
  /** Only called for a key that was given. */
  const reject = (key: ConfigKey, problem: string, accepted: string): never => {
    const { value, from } = raw[key]!;
    // Masked before quoting too: JSON escapes would hide a password with a quote or a backslash from redactSecrets.
    const message = `${show(value, secrets)} from ${from}: ${problem}; accepted: ${accepted}`;
    throw new ConfigError(key, redactSecrets(message, secrets));
  };

  const text = (key: ConfigKey, accepted: string): string | undefined => {
    const value = raw[key]?.value;
    if (value === undefined || typeof value === 'string') return value;
    return reject(key, 'not a string', accepted);
  };

  const poolSize = (key: ConfigKey): number => {
    if (raw[key] === undefined) return DEFAULT_POOL_SIZE;
    const { value } = raw[key];
    const size = integer(value) ?? reject(key, bigInteger(value) !== undefined ? 'out of range' : 'not an integer', ACCEPTED.poolSize);
    if (size > MAX_POOL_SIZE) reject(key, `out of range (more than ${MAX_POOL_SIZE})`, ACCEPTED.poolSize);
    return size > 0 ? size : DEFAULT_POOL_SIZE;
  };

  const bool = (key: ConfigKey, fallback: boolean): boolean => {
    const value = raw[key]?.value;
    if (value === undefined || typeof value === 'boolean') return value ?? fallback;
    return (typeof value === 'string' ? GO_BOOLS[value] : undefined) ?? reject(key, 'not a boolean', ACCEPTED.bool);
  };

  const connMaxLifetimeMs = (): number => {
    const key = 'repo.database.postgres.conn_max_lifetime';
    if (raw[key] === undefined) return DEFAULT_CONN_MAX_LIFETIME_MS;
    let ms: number;
    try {
      ms = durationMs(raw[key].value);
    } catch (error) {
      return reject(key, errorMessage(error), ACCEPTED.lifetime);
    }
    if (!(ms > 0)) return DEFAULT_CONN_MAX_LIFETIME_MS;
    // The pool closes a connection with a timer, which fires after 1 ms when asked to wait longer than it can.
    if (ms > MAX_CONN_MAX_LIFETIME_MS) {
      reject(key, `out of range (more than ${formatDuration(MAX_CONN_MAX_LIFETIME_MS)})`, ACCEPTED.lifetime);
    }
    return ms;
  };

  const dataDirText = text('repo.data_dir', ACCEPTED.dataDir) ?? DEFAULT_DATA_DIR;
  if (dataDirText === '') reject('repo.data_dir', "empty (Piri's in-memory mode is not supported)", ACCEPTED.dataDir);
  if (dataDirText.includes('\u0000')) reject('repo.data_dir', 'contains U+0000 (NUL), which no file path can', ACCEPTED.dataDir);
  const dataDir = resolve(expandHome(dataDirText));

  const type = text('repo.database.type', ACCEPTED.type) ?? '';
  if (type !== '' && type !== 'sqlite' && type !== 'postgres') {
    reject('repo.database.type', 'not a supported database type', ACCEPTED.type);
  }

  // Every value given is checked, whatever the backend; only the URL's presence depends on the type.
  const url = text('repo.database.postgres.url', ACCEPTED.url) || undefined;
  const urlProblem = url === undefined ? undefined : postgresUrlProblem(url);
  if (urlProblem !== undefined) reject('repo.database.postgres.url', urlProblem, ACCEPTED.url);
  const directUrl = text('repo.database.postgres.direct_url', ACCEPTED.url) || undefined;
  const directUrlProblem = directUrl === undefined ? undefined : postgresUrlProblem(directUrl);
  if (directUrlProblem !== undefined) reject('repo.database.postgres.direct_url', directUrlProblem, ACCEPTED.url);
  const pool = {
    maxOpenConns: poolSize('repo.database.postgres.max_open_conns'),
    maxIdleConns: poolSize('repo.database.postgres.max_idle_conns'),
    connMaxLifetimeMs: connMaxLifetimeMs(),
    preparedStatements: bool('repo.database.postgres.prepared_statements', true),
  };

  const file = configFile === undefined ? {} : { configFile };
  if (type !== 'postgres') {
    return Object.freeze({ dataDir, database: Object.freeze({ type: 'sqlite' as const }), ...file });
  }
  if (url === undefined) {
    throw new ConfigError(
      'repo.database.postgres.url',
      `missing, and required because repo.database.type is postgres (from ${raw['repo.database.type']!.from}); ` +
        `accepted: ${ACCEPTED.url}`,
    );
  }
  const postgres = Object.freeze({ url, ...(directUrl === undefined ? {} : { directUrl }), ...pool });
  const database = Object.freeze({ type: 'postgres' as const, postgres });
  return Object.freeze({ dataDir, database, ...file });
}

function postgresUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'not a valid URL';
  }
  const { protocol } = parsed;
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') return `the scheme is ${protocol}, not postgres:`;
  // `postgres:user:pw@host` parses, as an opaque path with no host in it.
  return url.slice(protocol.length).startsWith('//') ? undefined : 'not of the form postgres://host/db';
}

/** A whole number from a TOML integer, an option, or integer text as Go's strconv.Atoi reads it. */
function integer(value: unknown): number | undefined {
  const number = typeof value === 'string' && /^[+-]?\d+$/.test(value) ? Number(value) : value;
  return typeof number === 'number' && Number.isSafeInteger(number) ? number : undefined;
}

/** A whole number however large, as a BigInt: a TOML integer read as one, or integer text; undefined for anything else. */
function bigInteger(value: unknown): bigint | undefined {
  if (typeof value === 'bigint') return value;
  return typeof value === 'string' && /^[+-]?\d+$/.test(value) ? BigInt(value) : undefined;
}

/** Go duration text, or an integer number of nanoseconds as Go reads an int into a Duration. */
function durationMs(value: unknown): number {
  const nanoseconds = integer(value);
  if (nanoseconds !== undefined) return nanoseconds / 1e6;
  const big = bigInteger(value);
  if (big !== undefined) {
    // An int64 of nanoseconds is a valid Duration however large; beyond it Go refuses it as out of range.
    if (big >= -(1n << 63n) && big < 1n << 63n) return Number(big) / 1e6;
    throw new Error('out of range (more than about 292 years)');
  }
  if (typeof value !== 'string') throw new Error('not a duration');
  return parseGoDuration(value);
}

function expandHome(path: string): string {
  return path === '~' || path.startsWith('~/') ? homedir() + path.slice(1) : path;
}

/** The offending value for a message; strings are quoted with any URL password and any known secret masked. */
function show(value: unknown, secrets: readonly string[]): string {
  if (typeof value === 'string') return JSON.stringify(redactSecrets(redactUrl(value), secrets));
  if (typeof value === 'bigint') return `integer ${value}`;
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Date) return 'a date';
  if (typeof value === 'object' && value !== null) return 'a table';
  return `${typeof value} ${String(value)}`;
}
