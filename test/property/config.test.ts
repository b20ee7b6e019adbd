/**
 * loadConfig under arbitrary values of every key, from each source (PIRI_* environment, options, Piri's TOML file):
 * it either returns a valid, deep-frozen Config, or throws a ConfigError naming that key, exactly as the documented
 * rules say (each rule is restated here, independently of src/config). And a password given in the URL never
 * appears in any message, whichever key holds the mistake and in whatever form the password is quoted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { type Config, type LoadConfigOptions, loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';
import { fcParameters, hostileString } from './support.ts';

const dir = mkdtempSync(join(tmpdir(), 'piri-db-config-property-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const VALID_URL = 'postgres://piri@db.example:5432/piri';
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The documented ranges (docs/configuration.md). */
const MAX_POOL_SIZE = 1000;
const MAX_LIFETIME_MS = 2_147_483_000;

type Key =
  | 'repo.data_dir'
  | 'repo.database.type'
  | 'repo.database.postgres.url'
  | 'repo.database.postgres.max_open_conns'
  | 'repo.database.postgres.max_idle_conns'
  | 'repo.database.postgres.conn_max_lifetime';
type Source = 'env' | 'options' | 'file';

const ENV: Record<Key, string> = {
  'repo.data_dir': 'PIRI_REPO_DATA_DIR',
  'repo.database.type': 'PIRI_REPO_DATABASE_TYPE',
  'repo.database.postgres.url': 'PIRI_REPO_DATABASE_POSTGRES_URL',
  'repo.database.postgres.max_open_conns': 'PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS',
  'repo.database.postgres.max_idle_conns': 'PIRI_REPO_DATABASE_POSTGRES_MAX_IDLE_CONNS',
  'repo.database.postgres.conn_max_lifetime': 'PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME',
};
const KEYS = Object.keys(ENV) as Key[];

/** The options object that sets `key` to `value`. */
function option(key: Key, value: unknown): LoadConfigOptions {
  const postgres = (field: string) => ({ database: { postgres: { [field]: value } } }) as LoadConfigOptions;
  switch (key) {
    case 'repo.data_dir':
      return { dataDir: value as string };
    case 'repo.database.type':
      return { database: { type: value as string } };
    case 'repo.database.postgres.url':
      return postgres('url');
    case 'repo.database.postgres.max_open_conns':
      return postgres('maxOpenConns');
    case 'repo.database.postgres.max_idle_conns':
      return postgres('maxIdleConns');
    case 'repo.database.postgres.conn_max_lifetime':
      return postgres('connMaxLifetime');
  }
}

/** A TOML basic string: every character a TOML parser would refuse raw is escaped. */
function tomlString(text: string): string {
  return `"${[...text].map((c) => (c === '"' || c === '\\' || c < ' ' || c === '\u007f' ? `\\u${c.codePointAt(0)!.toString(16).padStart(4, '0')}` : c)).join('')}"`;
}

function tomlFile(key: Key, literal: string): string {
  const parts = key.split('.');
  const file = join(dir, `piri-${files++}.toml`);
  writeFileSync(file, `[${parts.slice(0, -1).join('.')}]\n${parts.at(-1)} = ${literal}\n`);
  return file;
}

/** loadConfig with `key` set from `source` (and nothing else from the machine's environment). */
function loadWith(key: Key, source: Source, value: { text: string } | { toml: string } | { option: unknown }, base: LoadConfigOptions = {}): Config {
  if (source === 'env' && 'text' in value) return loadConfig({ ...base, env: { [ENV[key]]: value.text } });
  if (source === 'file' && !('option' in value)) {
    return loadConfig({ ...base, env: {}, configFile: tomlFile(key, 'toml' in value ? value.toml : tomlString(value.text)) });
  }
  const given = 'option' in value ? value.option : 'text' in value ? value.text : undefined;
  return loadConfig(merge(base, { env: {}, ...option(key, given) }));
}

function merge(a: LoadConfigOptions, b: LoadConfigOptions): LoadConfigOptions {
  return { ...a, ...b, database: { ...a.database, ...b.database, postgres: { ...a.database?.postgres, ...b.database?.postgres } } };
}

// --- the documented rules, restated ----------------------------------------------------------------------------

const GO_DURATION = /^[-+]?(?:0|(?:(?:\d+(?:\.\d*)?|\.\d+)(?:ns|us|µs|μs|ms|s|m|h))+)$/;

/**
 * Whether the rules accept `value` for `key` (as the winning value): 'range' when it must be refused as out of range,
 * 'duration' for Go duration text, which is valid or refused as out of range.
 */
function accepts(key: Key, value: unknown): boolean | 'range' | 'duration' {
  const integer = (v: unknown) => (typeof v === 'string' ? /^[+-]?\d+$/.test(v) && Number.isSafeInteger(Number(v)) : Number.isSafeInteger(v));
  switch (key) {
    case 'repo.data_dir':
      return typeof value === 'string' && value !== '' && !value.includes('\u0000');
    case 'repo.database.type':
      return value === '' || value === 'sqlite' || value === 'postgres';
    case 'repo.database.postgres.url': {
      if (value === '') return true; // empty is unset
      if (typeof value !== 'string' || !URL.canParse(value)) return false;
      const { protocol } = new URL(value);
      return (protocol === 'postgres:' || protocol === 'postgresql:') && value.slice(protocol.length).startsWith('//');
    }
    case 'repo.database.postgres.max_open_conns':
    case 'repo.database.postgres.max_idle_conns':
      return integer(value) ? Number(value) <= MAX_POOL_SIZE || 'range' : false;
    case 'repo.database.postgres.conn_max_lifetime': {
      // Whole numbers are nanoseconds, however they arrive; valid up to the longest lifetime a timer can keep.
      const whole = typeof value === 'bigint' ? value : typeof value === 'string' && /^[+-]?\d+$/.test(value) ? BigInt(value) : undefined;
      if (whole !== undefined) return (whole >= -(2n ** 63n) && whole <= BigInt(MAX_LIFETIME_MS) * 1_000_000n) || 'range';
      if (integer(value)) return (value as number) <= MAX_LIFETIME_MS * 1e6 || 'range';
      return typeof value === 'string' && GO_DURATION.test(value) ? 'duration' : false;
    }
  }
}

/** A Config as the docs describe it: absolute data dir, a known backend, a pool a Node timer can honour; frozen. */
function expectValid(config: Config): void {
  expect(Object.isFrozen(config)).toBe(true);
  expect(Object.isFrozen(config.database)).toBe(true);
  expect(isAbsolute(config.dataDir)).toBe(true);
  expect(config.dataDir).not.toContain('\u0000');
  expect(['sqlite', 'postgres']).toContain(config.database.type);
  if (config.database.type === 'postgres') {
    const { postgres } = config.database;
    expect(Object.isFrozen(postgres)).toBe(true);
    expect(accepts('repo.database.postgres.url', postgres.url)).toBe(true);
    for (const size of [postgres.maxOpenConns, postgres.maxIdleConns]) expect(Number.isSafeInteger(size) && size >= 1).toBe(true);
    expect(postgres.connMaxLifetimeMs).toBeGreaterThan(0);
    // The pool's lifetime timer counts whole seconds: it must fit a Node timer (2^31 - 1 ms) after rounding.
    expect(Math.max(1, Math.round(postgres.connMaxLifetimeMs / 1000)) * 1000).toBeLessThanOrEqual(MAX_TIMER_MS);
  }
}

function configError(run: () => unknown): ConfigError | undefined {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  return undefined;
}

// --- generators ----------------------------------------------------------------------------------------------------

/** Text that is almost right for some key, or anything at all. */
const text = fc.oneof(
  hostileString({ maxLength: 16 }),
  fc.constantFrom('', ' ', 'sqlite', 'postgres', 'SQLite', 'postgres ', 'mysql', '0', '-1', '+7', '007', '1e3', '0x10', '١٢', '9007199254740993', '30m', '1h30m', '.5s', '1.s', '.s', '5', '5 s', '-0', '+0', '00', '1µs', '1μs', '2562048h', '9223372036854775807', '9223372036854775808ns', '720h'),
  fc.tuple(fc.constantFrom('', '+', '-'), fc.array(fc.tuple(fc.stringMatching(/^\d{0,3}(\.\d{0,2})?$/), fc.constantFrom('ns', 'us', 'µs', 'ms', 's', 'm', 'h', 'd', '', 'S')), { maxLength: 3 })).map(
    ([sign, parts]) => sign + parts.map(([n, u]) => n + u).join(''),
  ),
  fc.tuple(fc.constantFrom('postgres://', 'postgresql://', 'postgres:', 'mysql://', 'http://', '', 'postgres:///'), hostileString({ maxLength: 8 }), fc.constantFrom('', '@db', '@db:5432/x', ':99999', '/db?sslmode=require')).map(
    ([scheme, middle, tail]) => scheme + middle + tail,
  ),
);

/** TOML values of every type: a string that is almost right, or an integer, float, boolean, date, array or table. */
const tomlValue = fc.oneof(
  { arbitrary: text.filter((t) => !/[\ud800-\udfff]/u.test(t)).map((t) => ({ toml: tomlString(t), value: t as unknown })), weight: 4 },
  { arbitrary: fc.integer({ min: -10, max: 1_000_000 }).map((n) => ({ toml: String(n), value: n as unknown })), weight: 1 },
  {
    arbitrary: fc.constantFrom(
      { toml: '9223372036854775807', value: 9223372036854775807n as unknown },
      { toml: '-9223372036854775808', value: -9223372036854775808n as unknown },
      { toml: '1.5', value: 1.5 },
      { toml: '3.0', value: 3 },
      { toml: 'inf', value: Number.POSITIVE_INFINITY },
      { toml: 'nan', value: Number.NaN },
      { toml: 'true', value: true },
      { toml: '1979-05-27', value: new Date('1979-05-27') },
      { toml: '[1, 2]', value: [1, 2] },
      { toml: '{ a = 1 }', value: { a: 1 } },
    ),
    weight: 2,
  },
);

/** Option values of every JavaScript type. */
const optionValue = fc.oneof(
  { arbitrary: text as fc.Arbitrary<unknown>, weight: 3 },
  { arbitrary: fc.oneof(fc.integer(), fc.double(), fc.constantFrom(2 ** 53, -0, 1e300)) as fc.Arbitrary<unknown>, weight: 2 },
  { arbitrary: fc.constantFrom<unknown>(null, true, [], {}, 5n, new Date(0)), weight: 1 },
);

const key = fc.constantFrom(...KEYS);

// --- the properties ---------------------------------------------------------------------------------------------

describe('loadConfig under arbitrary values', () => {
  it('takes any value from the environment, an option or the TOML file, or refuses it naming the key', () => {
    const given = fc.oneof(
      fc.record({ source: fc.constant('env' as const), value: text.map((t) => ({ text: t })) }),
      fc.record({ source: fc.constant('options' as const), value: optionValue.map((o) => ({ option: o })) }),
      fc.record({ source: fc.constant('file' as const), value: tomlValue }),
    );
    fc.assert(
      fc.property(key, given, fc.boolean(), (k, { source, value }, asPostgres) => {
        // A valid URL (and, when asked, type postgres) beside the key under test, so that only that key can be wrong.
        const base: LoadConfigOptions = k === 'repo.database.postgres.url' || k === 'repo.database.type' ? {} : { database: { type: asPostgres ? 'postgres' : 'sqlite', postgres: { url: VALID_URL } } };
        const raw = 'text' in value ? value.text : 'option' in value ? value.option : value.value;
        // An empty environment variable is unset (viper's AutomaticEnv).
        if (source === 'env' && raw === '') {
          expectValid(loadWith(k, source, value as { text: string }, base));
          return;
        }
        const rule = accepts(k, raw);
        let config: Config | undefined;
        const error = configError(() => (config = loadWith(k, source, 'value' in value ? { toml: value.toml } : value, base)));
        if (k === 'repo.database.type' && raw === 'postgres' && error?.key === 'repo.database.postgres.url') {
          // Valid, but then a URL is required and none was given: that key is named.
          expect(error.message).toContain('missing, and required because repo.database.type is postgres');
          return;
        }
        if (rule === true) {
          expect(error, `${k} = ${String(raw)} from ${source} is valid`).toBeUndefined();
          expectValid(config!);
        } else if (rule === 'duration' && error === undefined) {
          expectValid(config!); // a Go duration within range
        } else {
          expect(error, `${k} = ${String(raw)} from ${source} is invalid`).toBeDefined();
          expect(error!.key).toBe(k);
          expect(error!.message.startsWith(`invalid configuration ${k}: `)).toBe(true);
          if (rule === 'range' || rule === 'duration') expect(error!.message).toContain('out of range');
        }
      }),
      fcParameters(1500),
    );
  });

  it('never shows a password from the URL, whichever key holds the mistake and however the password is written', () => {
    // Distinctive, so it cannot occur in a message by chance; any characters after that, percent-encoded in the URL.
    const password = fc.string({ unit: 'binary', minLength: 6, maxLength: 16 }).map((tail) => `Pw-${tail}`);
    const mistake = fc.constantFrom(
      'bad type',
      'bad pool size',
      'URL as pool size',
      'URL in lifetime',
      'password as data dir',
      'password as type',
      'wrong scheme',
      'no authority',
      'raw password in a bad URL',
      'password parameter',
    );
    fc.assert(
      fc.property(password, mistake, fc.constantFrom<Source>('env', 'options', 'file'), (pw, kind, source) => {
        const encoded = encodeURIComponent(pw);
        const url = `postgres://piri:${encoded}@db:5432/piri`;
        const [k, bad]: [Key, string] =
          kind === 'bad type' ? ['repo.database.type', 'mysql']
          : kind === 'bad pool size' ? ['repo.database.postgres.max_open_conns', 'ten']
          : kind === 'URL as pool size' ? ['repo.database.postgres.max_idle_conns', url]
          : kind === 'URL in lifetime' ? ['repo.database.postgres.conn_max_lifetime', `1:${pw}@db`]
          : kind === 'password as data dir' ? ['repo.data_dir', `${pw}\u0000`]
          : kind === 'password as type' ? ['repo.database.type', pw]
          : kind === 'wrong scheme' ? ['repo.database.postgres.url', `postgress://piri:${encoded}@db/piri`]
          : kind === 'no authority' ? ['repo.database.postgres.url', `postgres:piri:${encoded}@db/piri`]
          : kind === 'raw password in a bad URL' ? ['repo.database.postgres.url', `mysql://piri:${pw}@db/piri`]
          : ['repo.database.postgres.url', `postgres:db/piri?sslmode=disable&password=${encoded}`];
        // The URL with the password is always given (from the options) unless the mistake is in the URL itself.
        const base: LoadConfigOptions = k === 'repo.database.postgres.url' ? { database: { type: 'postgres' } } : { database: { type: 'postgres', postgres: { url } } };
        const fromSource = source === 'file' && /[\ud800-\udfff]/u.test(bad) ? 'options' : source;
        const error = configError(() => loadWith(k, k === 'repo.database.type' && fromSource === 'options' ? 'env' : fromSource, { text: bad }, k === 'repo.database.type' ? { database: { postgres: { url } } } : base));
        expect(error, `${kind} is refused`).toBeDefined();
        for (const form of [pw, encoded, JSON.stringify(pw).slice(1, -1)]) {
          expect(error!.message).not.toContain(form);
          expect(String(error!.stack)).not.toContain(form);
        }
      }),
      fcParameters(400),
    );
  });
});
