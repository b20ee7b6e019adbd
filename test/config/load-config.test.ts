import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { type LoadConfigOptions, loadConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'piri-db-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function tomlFile(text: string): string {
  const file = join(dir, `config-${files++}.toml`);
  writeFileSync(file, text);
  return file;
}

/** loadConfig isolated from the machine's environment unless the test gives one. */
function load(options: LoadConfigOptions = {}) {
  return loadConfig({ env: {}, ...options });
}

function configError(options: LoadConfigOptions): ConfigError {
  try {
    load(options);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

const URL = 'postgres://piri:pw@db:5432/piri?sslmode=disable';
const pg = (postgres: NonNullable<NonNullable<LoadConfigOptions['database']>['postgres']>) => ({
  database: { type: 'postgres', postgres: { url: URL, ...postgres } },
});

describe('defaults', () => {
  it('is SQLite under ~/.storacha with no file', () => {
    const config = load();
    expect(config).toEqual({ dataDir: join(homedir(), '.storacha'), database: { type: 'sqlite' } });
    expect('configFile' in config).toBe(false);
  });

  it('gives Postgres a pool of 5 open, 5 idle, 30 minute lifetime, prepared statements', () => {
    expect(load({ database: { type: 'postgres', postgres: { url: URL } } }).database).toEqual({
      type: 'postgres',
      postgres: { url: URL, maxOpenConns: 5, maxIdleConns: 5, connMaxLifetimeMs: 30 * 60_000, preparedStatements: true },
    });
  });

  it.each([0, -1, '0', '-3'])('treats pool size %j as the default', (size) => {
    const config = load(pg({ maxOpenConns: size, maxIdleConns: size }));
    expect(config.database).toMatchObject({ postgres: { maxOpenConns: 5, maxIdleConns: 5 } });
  });

  it.each(['0', '-1s', 0, -5, '-1'])('treats lifetime %j as the default', (lifetime) => {
    const config = load(pg({ connMaxLifetime: lifetime }));
    expect(config.database).toMatchObject({ postgres: { connMaxLifetimeMs: 30 * 60_000 } });
  });

  it('returns a deep-frozen config', () => {
    const config = load(pg({}));
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.database)).toBe(true);
    expect(config.database.type === 'postgres' && Object.isFrozen(config.database.postgres)).toBe(true);
    expect(Object.isFrozen(load())).toBe(true);
  });

  it('reads process.env when no env is given', () => {
    for (const name of ['PIRI_CONFIG', 'PIRI_DATA_DIR', 'PIRI_REPO_DATABASE_TYPE', 'PIRI_REPO_DATABASE_POSTGRES_URL']) {
      vi.stubEnv(name, '');
    }
    vi.stubEnv('PIRI_REPO_DATA_DIR', join(dir, 'from-process-env'));
    try {
      expect(loadConfig({}).dataDir).toBe(join(dir, 'from-process-env'));
    } finally {
      vi.unstubAllEnvs();
    }
  });
});

describe('data_dir paths', () => {
  it.each([
    ['~', homedir()],
    ['~/piri', join(homedir(), 'piri')],
    ['data', resolve(process.cwd(), 'data')],
    ['./a/../b', resolve(process.cwd(), 'b')],
    ['/srv/piri/', '/srv/piri'],
    ['~other/x', resolve(process.cwd(), '~other/x')],
  ])('%s becomes %s', (given, expected) => {
    expect(load({ dataDir: given }).dataDir).toBe(expected);
  });
});

describe('precedence: built-in < options.defaults < file < env < options', () => {
  const file = tomlFile('[repo]\ndata_dir = "/from/file"\n');
  const sources = {
    defaults: { dataDir: '/from/defaults' },
    configFile: file,
    env: { PIRI_REPO_DATA_DIR: '/from/env' },
    dataDir: '/from/option',
  };

  it.each([
    [['defaults', 'configFile', 'env', 'dataDir'], '/from/option'],
    [['defaults', 'configFile', 'env'], '/from/env'],
    [['defaults', 'configFile'], '/from/file'],
    [['defaults'], '/from/defaults'],
    [[], join(homedir(), '.storacha')],
  ] as const)('with %j data_dir is %s', (given, expected) => {
    const options = Object.fromEntries(given.map((name) => [name, sources[name]]));
    expect(load(options).dataDir).toBe(expected);
  });

  it('applies the same order to every database key', () => {
    const toml = tomlFile(
      [
        '[repo.database]',
        'type = "bogus-overridden"',
        '[repo.database.postgres]',
        'url = "postgres://file@db/file"',
        'max_open_conns = 1',
        'max_idle_conns = 1',
        'conn_max_lifetime = "1m"',
      ].join('\n'),
    );
    const env = {
      PIRI_REPO_DATABASE_TYPE: 'sqlite',
      PIRI_REPO_DATABASE_POSTGRES_URL: 'postgres://env@db/env',
      PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS: '2',
      PIRI_REPO_DATABASE_POSTGRES_MAX_IDLE_CONNS: '2',
      PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME: '2m',
    };
    const options = {
      type: 'postgres',
      postgres: { url: 'postgres://option@db/option', maxOpenConns: 3, maxIdleConns: '3', connMaxLifetime: '3m' },
    };

    expect(load({ configFile: toml, env, database: options }).database).toEqual({
      type: 'postgres',
      postgres: { url: 'postgres://option@db/option', maxOpenConns: 3, maxIdleConns: 3, connMaxLifetimeMs: 180_000, preparedStatements: true },
    });
    expect(load({ configFile: toml, env: { ...env, PIRI_REPO_DATABASE_TYPE: 'postgres' } }).database).toEqual({
      type: 'postgres',
      postgres: { url: 'postgres://env@db/env', maxOpenConns: 2, maxIdleConns: 2, connMaxLifetimeMs: 120_000, preparedStatements: true },
    });
    expect(load({ configFile: toml, database: { type: 'postgres' } }).database).toEqual({
      type: 'postgres',
      postgres: { url: 'postgres://file@db/file', maxOpenConns: 1, maxIdleConns: 1, connMaxLifetimeMs: 60_000, preparedStatements: true },
    });
  });

  it('reads direct_url from each source, in the same order, and leaves it out when no source sets it', () => {
    const toml = tomlFile('[repo.database]\ntype = "postgres"\n[repo.database.postgres]\nurl = "postgres://bouncer/db"\ndirect_url = "postgres://file@db/db"');
    const env = { PIRI_REPO_DATABASE_POSTGRES_DIRECT_URL: 'postgres://env@db/db' };
    const direct = (options: LoadConfigOptions) => {
      const { database } = load(options);
      return database.type === 'postgres' ? database.postgres.directUrl : 'sqlite';
    };
    expect(direct({ configFile: toml, env, database: { postgres: { directUrl: 'postgres://option@db/db' } } })).toBe('postgres://option@db/db');
    expect(direct({ configFile: toml, env })).toBe('postgres://env@db/db');
    expect(direct({ configFile: toml })).toBe('postgres://file@db/db');
    expect(direct({ database: { type: 'postgres', postgres: { url: 'postgres://db/db' } } })).toBeUndefined();
  });

  it('reads prepared_statements as Go reads a bool, true by default', () => {
    const prepared = (options: LoadConfigOptions) => {
      const { database } = load({ ...options, database: { type: 'postgres', postgres: { url: 'postgres://db/db', ...options.database?.postgres } } });
      return database.type === 'postgres' && database.postgres.preparedStatements;
    };
    expect(prepared({})).toBe(true);
    expect(prepared({ configFile: tomlFile('[repo.database.postgres]\nprepared_statements = false') })).toBe(false);
    for (const text of ['0', 'f', 'F', 'FALSE', 'false', 'False']) {
      expect(prepared({ env: { PIRI_REPO_DATABASE_POSTGRES_PREPARED_STATEMENTS: text } })).toBe(false);
    }
    expect(prepared({ env: { PIRI_REPO_DATABASE_POSTGRES_PREPARED_STATEMENTS: 'false' }, database: { postgres: { preparedStatements: true } } })).toBe(true);
  });

  it('treats an empty environment variable as unset, as viper does', () => {
    const toml = tomlFile('[repo]\ndata_dir = "/from/file"\n[repo.database]\ntype = "postgres"\n[repo.database.postgres]\nurl = "postgres://db/x"');
    const config = load({
      configFile: toml,
      env: { PIRI_REPO_DATA_DIR: '', PIRI_REPO_DATABASE_TYPE: '', PIRI_REPO_DATABASE_POSTGRES_URL: '' },
    });
    expect(config.dataDir).toBe('/from/file');
    expect(config.database.type).toBe('postgres');
  });
});

describe('legacy PIRI_DATA_DIR', () => {
  it('is read when PIRI_REPO_DATA_DIR is not set', () => {
    expect(load({ env: { PIRI_DATA_DIR: '/legacy' } }).dataDir).toBe('/legacy');
    expect(load({ env: { PIRI_DATA_DIR: '/legacy', PIRI_REPO_DATA_DIR: '' } }).dataDir).toBe('/legacy');
  });

  it('loses to PIRI_REPO_DATA_DIR', () => {
    expect(load({ env: { PIRI_DATA_DIR: '/legacy', PIRI_REPO_DATA_DIR: '/new' } }).dataDir).toBe('/new');
  });

  it('beats the file, loses to the option', () => {
    const file = tomlFile('[repo]\ndata_dir = "/from/file"');
    expect(load({ configFile: file, env: { PIRI_DATA_DIR: '/legacy' } }).dataDir).toBe('/legacy');
    expect(load({ configFile: file, env: { PIRI_DATA_DIR: '/legacy' }, dataDir: '/option' }).dataDir).toBe('/option');
  });
});

describe('TOML file', () => {
  const piriFile = tomlFile(`
[identity]
key_file = "/etc/piri/service.pem"

[repo]
data_dir = "/var/lib/piri"
temp_dir = "/tmp/piri"

[repo.database]
type = "postgres"

[repo.database.postgres]
url = "postgres://piri:pw@db:5432/piri?sslmode=require"
max_open_conns = 12
max_idle_conns = 3
conn_max_lifetime = "1h30m"

[server]
port = 3000
host = "0.0.0.0"

[pdp.aggregation.commp.job_queue]
workers = 4
retry_delay = "10s"
`);

  it("reads Piri's file, ignoring keys outside repo and unknown ones inside it", () => {
    expect(load({ configFile: piriFile })).toEqual({
      dataDir: '/var/lib/piri',
      database: {
        type: 'postgres',
        postgres: {
          url: 'postgres://piri:pw@db:5432/piri?sslmode=require',
          maxOpenConns: 12,
          maxIdleConns: 3,
          connMaxLifetimeMs: 90 * 60_000,
          preparedStatements: true,
        },
      },
      configFile: piriFile,
    });
  });

  it('is found through PIRI_CONFIG, and configFile overrides it', () => {
    const other = tomlFile('[repo]\ndata_dir = "/other"');
    expect(load({ env: { PIRI_CONFIG: piriFile } }).configFile).toBe(piriFile);
    expect(load({ env: { PIRI_CONFIG: piriFile }, configFile: other })).toMatchObject({ dataDir: '/other', configFile: other });
  });

  it("is not read when configFile is ''", () => {
    expect(load({ env: { PIRI_CONFIG: piriFile }, configFile: '' })).toEqual(load());
  });

  it('reports the file as an absolute path', () => {
    const absolute = tomlFile('[repo]\ndata_dir = "/rel"');
    expect(load({ configFile: relative(process.cwd(), absolute) }).configFile).toBe(absolute);
  });

  it('reads dotted keys and inline tables', () => {
    const file = tomlFile('repo.data_dir = "/dotted"\nrepo.database = { type = "sqlite" }');
    expect(load({ configFile: file })).toMatchObject({ dataDir: '/dotted', database: { type: 'sqlite' } });
  });

  it('takes an integer conn_max_lifetime as nanoseconds, as Go does', () => {
    const file = tomlFile('[repo.database.postgres]\nconn_max_lifetime = 90_000_000_000');
    expect(load({ configFile: file, ...pg({}) }).database).toMatchObject({ postgres: { connMaxLifetimeMs: 90_000, preparedStatements: true } });
    const env = { PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME: '1500000000' };
    expect(load({ env, ...pg({}) }).database).toMatchObject({ postgres: { connMaxLifetimeMs: 1500, preparedStatements: true } });
    expect(load(pg({ connMaxLifetime: 2_000_000 })).database).toMatchObject({ postgres: { connMaxLifetimeMs: 2, preparedStatements: true } });
  });

  it('accepts postgresql: URLs and an empty type as sqlite', () => {
    expect(load(pg({ url: 'postgresql://db/piri' })).database).toMatchObject({ postgres: { url: 'postgresql://db/piri' } });
    expect(load({ database: { type: '' } }).database).toEqual({ type: 'sqlite' });
  });

  it('keeps only the type on SQLite, ignoring valid postgres settings', () => {
    const config = load({ database: { type: 'sqlite', postgres: { url: URL, maxOpenConns: 9 } } });
    expect(config.database).toEqual({ type: 'sqlite' });
  });
});

describe('invalid values: a ConfigError naming the key and the source', () => {
  const T = 'repo.database.type';
  const U = 'repo.database.postgres.url';
  const O = 'repo.database.postgres.max_open_conns';
  const I = 'repo.database.postgres.max_idle_conns';
  const L = 'repo.database.postgres.conn_max_lifetime';
  const file = (text: string) => ({ configFile: tomlFile(text) });

  it.each<[string, string, () => LoadConfigOptions, RegExp]>([
    // repo.data_dir
    ['repo.data_dir', 'empty option', () => ({ dataDir: '' }), /"" from option dataDir: empty/],
    ['repo.data_dir', 'empty default', () => ({ defaults: { dataDir: '' } }), /from option defaults\.dataDir: empty/],
    ['repo.data_dir', 'empty in file', () => file('[repo]\ndata_dir = ""'), /"" from file .*config-\d+\.toml: empty/],
    ['repo.data_dir', 'integer in file', () => file('[repo]\ndata_dir = 5'), /number 5 from file .*: not a string/],
    ['repo.data_dir', 'array in file', () => file('[repo]\ndata_dir = ["/a"]'), /an array from file .*: not a string/],
    ['repo.data_dir', 'table in file', () => file('[repo.data_dir]\npath = "/a"'), /a table from file/],
    // repo.database.type
    [T, 'unknown type from env', () => ({ env: { PIRI_REPO_DATABASE_TYPE: 'mysql' } }), /"mysql" from environment variable PIRI_REPO_DATABASE_TYPE: not a supported database type; accepted: sqlite or postgres/],
    [T, 'wrong case', () => ({ database: { type: 'SQLite' } }), /"SQLite" from option database\.type/],
    [T, 'postgresql is a scheme, not a type', () => ({ database: { type: 'postgresql' } }), /"postgresql"/],
    [T, 'boolean in file', () => file('[repo.database]\ntype = true'), /boolean true from file .*: not a string/],
    // repo.database.postgres.url
    [U, 'missing for postgres (env)', () => ({ env: { PIRI_REPO_DATABASE_TYPE: 'postgres' } }), /missing, and required because repo\.database\.type is postgres \(from environment variable PIRI_REPO_DATABASE_TYPE\)/],
    [U, 'empty for postgres (option)', () => ({ database: { type: 'postgres', postgres: { url: '' } } }), /missing, and required .*from option database\.type/],
    [U, 'missing for postgres (file)', () => file('[repo.database]\ntype = "postgres"'), /missing, .*from file/],
    [U, 'not a URL', () => pg({ url: 'db:5432' }), /"db:5432" from option database\.postgres\.url: the scheme is db:/],
    [U, 'does not parse', () => pg({ url: 'postgres://db:port/x' }), /"postgres:\/\/db:port\/x" from option database\.postgres\.url: not a valid URL/],
    [U, 'wrong scheme', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_URL: 'mysql://db/x' } }), /"mysql:\/\/db\/x" from environment variable PIRI_REPO_DATABASE_POSTGRES_URL: the scheme is mysql:/],
    [U, 'no // after the scheme', () => pg({ url: 'postgres:db/piri' }), /"postgres:db\/piri" from option database\.postgres\.url: not of the form postgres:\/\/host/],
    [U, 'wrong scheme even on sqlite', () => ({ database: { postgres: { url: 'http://db/x' } } }), /the scheme is http:/],
    [U, 'integer in file', () => file('[repo.database.postgres]\nurl = 5432'), /number 5432 from file .*: not a string/],
    // repo.database.postgres.direct_url
    ['repo.database.postgres.direct_url', 'wrong scheme from env', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_DIRECT_URL: 'http://db/x' } }), /"http:\/\/db\/x" from environment variable PIRI_REPO_DATABASE_POSTGRES_DIRECT_URL: the scheme is http:/],
    ['repo.database.postgres.direct_url', 'not a URL (option)', () => pg({ url: 'postgres://db/x', directUrl: 'db:5432' }), /"db:5432" from option database\.postgres\.directUrl: the scheme is db:/],
    // prepared_statements
    ['repo.database.postgres.prepared_statements', 'yes from env', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_PREPARED_STATEMENTS: 'yes' } }), /"yes" from environment variable PIRI_REPO_DATABASE_POSTGRES_PREPARED_STATEMENTS: not a boolean; accepted: true or false/],
    ['repo.database.postgres.prepared_statements', 'integer in file', () => file('[repo.database.postgres]\nprepared_statements = 0'), /number 0 from file .*: not a boolean/],
    // max_open_conns
    [O, 'text from env', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS: 'ten' } }), /"ten" from environment variable PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS: not an integer; accepted: an integer from 1 to 1000; 0 or less means the default, 5/],
    [O, 'decimal text', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS: '1.5' } }), /"1\.5" from environment/],
    [O, 'padded text', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS: ' 10' } }), /" 10" from environment/],
    [O, 'empty option', () => pg({ maxOpenConns: '' }), /"" from option database\.postgres\.maxOpenConns/],
    [O, 'fraction option', () => pg({ maxOpenConns: 2.5 }), /number 2\.5 from option database\.postgres\.maxOpenConns/],
    [O, 'NaN option', () => pg({ maxOpenConns: Number.NaN }), /number NaN from option/],
    [O, 'too large', () => pg({ maxOpenConns: '99999999999999999999' }), /"99999999999999999999" from option/],
    [O, 'float in file', () => file('[repo.database.postgres]\nmax_open_conns = 1.5'), /number 1\.5 from file/],
    [O, 'text in file', () => file('[repo.database.postgres]\nmax_open_conns = "many"'), /"many" from file/],
    [O, 'above the range from env', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS: '1001' } }), /"1001" from environment variable PIRI_REPO_DATABASE_POSTGRES_MAX_OPEN_CONNS: out of range \(more than 1000\); accepted: an integer from 1 to 1000/],
    [O, '2^32 option (was Invalid array length)', () => pg({ maxOpenConns: 4294967296 }), /number 4294967296 from option database\.postgres\.maxOpenConns: out of range/],
    [O, '1e5 in file (was a 20 s boot)', () => file('[repo.database.postgres]\nmax_open_conns = 100000'), /number 100000 from file .*config-\d+\.toml: out of range/],
    // max_idle_conns
    [I, 'text from env', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_MAX_IDLE_CONNS: 'x' } }), /"x" from environment variable PIRI_REPO_DATABASE_POSTGRES_MAX_IDLE_CONNS: not an integer/],
    [I, 'fraction option', () => pg({ maxIdleConns: 0.5 }), /number 0\.5 from option database\.postgres\.maxIdleConns/],
    [I, 'boolean in file', () => file('[repo.database.postgres]\nmax_idle_conns = false'), /boolean false from file/],
    [I, 'above the range (was out of memory at 2e7)', () => pg({ maxIdleConns: 2e7 }), /number 20000000 from option database\.postgres\.maxIdleConns: out of range \(more than 1000\)/],
    // conn_max_lifetime
    [L, 'no unit', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME: '1.5' } }), /"1\.5" from environment variable PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME: missing unit.*; accepted: a Go duration/],
    [L, 'unknown unit', () => pg({ connMaxLifetime: '30min' }), /"30min" from option database\.postgres\.connMaxLifetime: unknown unit/],
    [L, 'words', () => pg({ connMaxLifetime: 'half an hour' }), /"half an hour" from option/],
    [L, 'empty', () => pg({ connMaxLifetime: '' }), /"" from option .*: empty duration/],
    [L, 'out of range', () => pg({ connMaxLifetime: '3000000h' }), /out of range/],
    [L, 'longer than a timer can wait', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME: '596h31m24s' } }), /"596h31m24s" from environment variable PIRI_REPO_DATABASE_POSTGRES_CONN_MAX_LIFETIME: out of range \(more than 596h31m23s\)/],
    [L, 'nanoseconds longer than a timer can wait', () => file('[repo.database.postgres]\nconn_max_lifetime = 2147484000000000'), /from file .*: out of range/],
    [L, 'fraction number', () => pg({ connMaxLifetime: 1.5 }), /number 1\.5 from option .*: not a duration/],
    [L, 'boolean in file', () => file('[repo.database.postgres]\nconn_max_lifetime = true'), /boolean true from file .*: not a duration/],
    [L, 'date in file', () => file('[repo.database.postgres]\nconn_max_lifetime = 1979-05-27'), /a date from file/],
    // structure of the file
    ['repo', 'repo is not a table', () => file('repo = "x"'), /expected a table in file .*config-\d+\.toml, got a string/],
    ['repo.database', 'database is not a table', () => file('[repo]\ndatabase = 5'), /expected a table .*got a number/],
    ['repo.database.postgres', 'postgres is an array', () => file('[repo.database]\npostgres = []'), /got an array/],
  ])('%s: %s', (key, _case, options, message) => {
    const error = configError(options());
    expect(error.key).toBe(key);
    expect(error.code).toBe('CONFIG_INVALID');
    expect(error.message).toMatch(message);
    expect(error.message.startsWith(`invalid configuration ${key}: `)).toBe(true);
  });

  it('accepts the largest value of each range', () => {
    const config = load(pg({ maxOpenConns: 1000, maxIdleConns: '1000', connMaxLifetime: '596h31m23s' }));
    expect(config.database).toMatchObject({
      postgres: { maxOpenConns: 1000, maxIdleConns: 1000, connMaxLifetimeMs: 2_147_483_000, preparedStatements: true },
    });
  });

  it('checks pool values whatever the backend', () => {
    expect(configError({ database: { postgres: { maxOpenConns: 'x' } } }).key).toBe(O);
  });
});

describe('config file errors name the file', () => {
  it.each<[string, () => string, RegExp]>([
    ['missing', () => join(dir, 'absent.toml'), /cannot read the config file .*absent\.toml \(from option configFile\): ENOENT/],
    ['a directory', () => dir, /cannot read the config file .*: EISDIR/],
    ['not TOML', () => tomlFile('[repo\ndata_dir = 1'), /config-\d+\.toml \(from option configFile\) is not valid TOML: .*\(line \d+, column \d+\)/],
    ['duplicate keys', () => tomlFile('[repo]\ndata_dir = "/a"\ndata_dir = "/b"'), /is not valid TOML: trying to redefine/],
  ])('%s', (_case, file, message) => {
    const error = configError({ configFile: file() });
    expect(error.key).toBe('config');
    expect(error.message).toMatch(message);
  });

  it('says when the file came from PIRI_CONFIG', () => {
    const error = configError({ env: { PIRI_CONFIG: join(dir, 'absent.toml') } });
    expect(error.message).toMatch(/absent\.toml \(from environment variable PIRI_CONFIG\)/);
  });

  it.skipIf(process.getuid?.() === 0)('unreadable (skipped as root, who can read any file)', () => {
    const file = tomlFile('[repo]');
    chmodSync(file, 0o000);
    expect(configError({ configFile: file }).message).toMatch(/EACCES/);
  });
});

describe('a password never appears in a message', () => {
  const PASSWORD = 'Zebra-Hunter-7731';
  const ENCODED_PASSWORD = 'Ze%2Fbra%40Hunter-7731'; // "Ze/bra@Hunter-7731"
  const DECODED_PASSWORD = 'Ze/bra@Hunter-7731';
  const withPassword = `postgres://piri:${PASSWORD}@db:5432/piri`;

  afterEach(() => vi.unstubAllEnvs());

  it.each<[string, () => LoadConfigOptions]>([
    ['URL that does not parse', () => pg({ url: `postgres://piri:${PASSWORD}@db:port/piri` })],
    ['URL without //', () => pg({ url: `postgres:piri:${PASSWORD}@db/piri` })],
    ['URL with a typo in the scheme', () => pg({ url: `postgres//piri:${PASSWORD}@db/piri` })],
    ['URL of another database', () => pg({ url: `mysql://piri:${PASSWORD}@db/piri` })],
    ['unencoded @ and / in the password', () => pg({ url: `postgres://piri:${DECODED_PASSWORD}@db:x/piri` })],
    ['password as a parameter', () => pg({ url: `http://db/piri?user=piri&password=${PASSWORD}` })],
    ['URL from env, bad', () => ({ env: { PIRI_REPO_DATABASE_POSTGRES_URL: `postgresql//piri:${PASSWORD}@db` } })],
    ['direct URL that does not parse', () => pg({ url: 'postgres://db/piri', directUrl: `postgres://piri:${PASSWORD}@db:port/piri` })],
    ['URL in the type', () => ({ env: { PIRI_REPO_DATABASE_TYPE: withPassword } })],
    ['URL in the pool size', () => pg({ url: withPassword, maxOpenConns: withPassword })],
    ['URL in the lifetime', () => pg({ url: withPassword, connMaxLifetime: `1:${PASSWORD}@db` })],
    ['URL in the data dir', () => ({ dataDir: '', database: { postgres: { url: withPassword } } })],
    ['percent-encoded password', () => pg({ url: `postgres://piri:${ENCODED_PASSWORD}@db:bad/piri` })],
    ['broken TOML line with the URL', () => ({ configFile: tomlFile(`[repo.database.postgres]\nurl = "${withPassword}" oops`) })],
    ['broken TOML near the URL', () => ({ configFile: tomlFile(`[repo.database.postgres]\nurl = "${withPassword}"\nmax_open_conns = = 3`) })],
    ['bad URL in the file', () => ({ configFile: tomlFile(`[repo.database.postgres]\nurl = "postgres://piri:${PASSWORD}@db:port/x"`) })],
  ])('%s', (_case, options) => {
    const error = configError(options());
    for (const secret of [PASSWORD, ENCODED_PASSWORD, DECODED_PASSWORD, encodeURIComponent(DECODED_PASSWORD)]) {
      expect(error.message).not.toContain(secret);
    }
    expect(error.message).not.toContain('Zebra');
  });

  it('still shows where the bad URL points', () => {
    const error = configError(pg({ url: `postgres://piri:${PASSWORD}@db:port/piri` }));
    expect(error.message).toContain('"postgres://piri:***@db:port/piri"');
  });
});
