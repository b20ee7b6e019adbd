/**
 * Tables an application adds to a store (its own table, and on SQLite drizzle's __drizzle_migrations journal in the
 * store file) beside piri-db's: backup, restore, copy and doctor report them, and carry or skip them as asked.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { expect, it } from 'vitest';
import { sqliteStoreFile } from '../../src/backend/sqlite/open.ts';
import type { Config } from '../../src/config/load.ts';
import { OperationError } from '../../src/errors.ts';
import { backupInstallation } from '../../src/operations/backup.ts';
import { copyInstallation } from '../../src/operations/copy.ts';
import { runDoctor } from '../../src/operations/doctor.ts';
import { restoreInstallation } from '../../src/operations/restore.ts';
import { openDatabases } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { APP_STORE, appMigrations, bootApp, runSqliteStatement } from '../support/app-migrations.ts';
import { forEachBackend, freshConfig, tempDir } from '../support/installations.ts';
import { rewindToLegacyJournals } from '../support/legacy-journal.ts';

const other = (backend: Dialect): Dialect => (backend === 'sqlite' ? 'postgres' : 'sqlite');

/** Statements on the application's store: its SQLite file, or its Postgres database with the store's schema first on the path. */
async function onAppStore<T>(config: Config, body: (run: (statement: string) => Promise<Record<string, unknown>[]>) => Promise<T>): Promise<T> {
  if (config.database.type === 'sqlite') {
    const db = new Database(sqliteStoreFile(config.dataDir, APP_STORE));
    try {
      return await body(async (text) => runSqliteStatement(db, text));
    } finally {
      db.close();
    }
  }
  const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {}, connection: { search_path: APP_STORE.pgSchema } });
  try {
    return await body(async (statement) => [...(await sql.unsafe(statement))]);
  } finally {
    await sql.end();
  }
}

const EVENTS_TABLE = {
  sqlite: `CREATE TABLE app_events (id INTEGER PRIMARY KEY AUTOINCREMENT, kind text NOT NULL DEFAULT 'note', payload blob, at text, parent integer REFERENCES app_events (id))`,
  postgres: `CREATE TABLE app_events (id serial PRIMARY KEY, kind varchar(20) NOT NULL DEFAULT 'note', payload bytea, at timestamptz, meta jsonb, parent integer REFERENCES app_events (id))`,
};

/** Sorts before app_events by name, and references it: carried after it. */
const TAGS_TABLE = 'CREATE TABLE app_event_tags (event integer NOT NULL REFERENCES app_events (id), tag text NOT NULL, PRIMARY KEY (event, tag))';

/**
 * piri-db set up, then the application: its drizzle migrations (on SQLite into the store file: app_notes and
 * __drizzle_migrations; on Postgres into public and drizzle, outside the stores), and a table of its own in the
 * store (app_events, with an index and three rows, the newest id 3).
 */
async function installationWithApp(backend: Dialect): Promise<Config> {
  const config = await freshConfig(backend);
  await (await openDatabases(config)).close();
  await bootApp(config, appMigrations(backend, 1));
  await onAppStore(config, async (run) => {
    await run(EVENTS_TABLE[backend]);
    await run('CREATE INDEX app_events_kind ON app_events (kind)');
    await run(`INSERT INTO app_events (kind, payload, at) VALUES ('a', NULL, '2024-01-01 00:00:00'), ('b', ${backend === 'sqlite' ? "x'00ff'" : "'\\x00ff'"}, NULL)`);
    await run(`INSERT INTO app_events (payload, parent) VALUES (NULL, 1)`);
    await run(TAGS_TABLE);
    await run(`INSERT INTO app_event_tags (event, tag) VALUES (3, 'x'), (1, 'y')`);
    if (backend === 'sqlite') await run(`INSERT INTO app_notes (body) VALUES ('kept')`);
  });
  return config;
}

/** The application's tables in the store, as the operations must report them. */
const APP_TABLES: Record<Dialect, string[]> = {
  sqlite: ['__drizzle_migrations', 'app_event_tags', 'app_events', 'app_notes'],
  postgres: ['app_event_tags', 'app_events'],
};
const ROWS: Record<string, number> = { __drizzle_migrations: 1, app_event_tags: 2, app_events: 3, app_notes: 1 };

const carried = (backend: Dialect) =>
  APP_TABLES[backend].map((table) => ({ store: APP_STORE.name, table, action: 'carried', rows: ROWS[table] }));
const skipped = (backend: Dialect) => APP_TABLES[backend].map((table) => ({ store: APP_STORE.name, table, action: 'skipped' }));

const appEvents = (config: Config) =>
  onAppStore(config, (run) =>
    run(
      config.database.type === 'sqlite'
        ? 'SELECT id, kind, hex(payload) AS payload, at, parent, (SELECT group_concat(tag) FROM app_event_tags WHERE event = id) AS tags FROM app_events ORDER BY id'
        : 'SELECT id, kind, payload, at, meta, parent, (SELECT string_agg(tag, \',\') FROM app_event_tags WHERE event = id) AS tags FROM app_events ORDER BY id',
    ),
  );

async function tableExists(config: Config, table: string): Promise<boolean> {
  const query =
    config.database.type === 'sqlite'
      ? `SELECT name FROM sqlite_master WHERE type = 'table' AND name = '${table}'`
      : `SELECT table_name FROM information_schema.tables WHERE table_schema = '${APP_STORE.pgSchema}' AND table_name = '${table}'`;
  return onAppStore(config, async (run) => (await run(query)).length > 0);
}

/** What recreates app_events: SQLite's own statements, Postgres's columns and indexes. */
const definition = (config: Config) =>
  onAppStore(config, (run) =>
    run(
      config.database.type === 'sqlite'
        ? `SELECT type, name, sql FROM sqlite_master WHERE tbl_name = 'app_events' ORDER BY name`
        : `SELECT column_name, data_type, character_maximum_length, column_default, is_nullable,
                  (SELECT string_agg(indexdef, '; ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = '${APP_STORE.pgSchema}' AND tablename = 'app_events') AS indexes
           FROM information_schema.columns WHERE table_schema = '${APP_STORE.pgSchema}' AND table_name = 'app_events' ORDER BY ordinal_position`,
    ),
  );

/** The table arrived with its definition and rows, and new ids continue above the carried ones. */
async function expectCarried(source: Config, target: Config): Promise<void> {
  const original = await definition(source);
  expect(original.length).toBeGreaterThan(1);
  expect(await definition(target)).toEqual(original);
  expect(await appEvents(target)).toEqual(await appEvents(source));
  const [next] = await onAppStore(target, (run) => run(`INSERT INTO app_events (kind) VALUES ('new') RETURNING id`));
  expect(Number(next!.id)).toBe(4);
  if (source.database.type === 'sqlite') {
    const journal = (config: Config) => onAppStore(config, (run) => run('SELECT hash, created_at FROM __drizzle_migrations'));
    expect(await journal(target)).toEqual(await journal(source));
  }
}

async function expectAbsent(config: Config, backend: Dialect): Promise<void> {
  for (const table of APP_TABLES[backend]) expect(await tableExists(config, table)).toBe(false);
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as OperationError);

forEachBackend("the application's tables in a store", (backend) => {
  it('backup and restore carry them by default: definition and rows arrive, verified, and are reported', async () => {
    const source = await installationWithApp(backend);
    const backup = await backupInstallation(source, join(tempDir(), 'backup'));
    expect(backup.appTables).toEqual(carried(backend));
    const store = backup.manifest.stores.find((s) => s.store === APP_STORE.name)!;
    const loadOrder = store.appTables!.map((t) => t.name);
    expect([...loadOrder].sort()).toEqual(APP_TABLES[backend]);
    expect(loadOrder.indexOf('app_events')).toBeLessThan(loadOrder.indexOf('app_event_tags'));

    const target = await freshConfig(backend);
    const restored = await restoreInstallation(target, backup.dir);
    expect(restored.appTables).toEqual(carried(backend));
    await expectCarried(source, target);
    expect((await runDoctor(target)).ok).toBe(true);
  });

  it('backup with appTables skip leaves them out of the backup, and restore with skip leaves out those a backup carries', async () => {
    const source = await installationWithApp(backend);
    const without = await backupInstallation(source, join(tempDir(), 'backup'), { appTables: 'skip' });
    expect(without.appTables).toEqual(skipped(backend));
    expect(without.manifest.stores.flatMap((s) => s.appTables ?? [])).toEqual([]);
    if (backend === 'sqlite') {
      const file = new Database(join(without.dir, `${APP_STORE.name}.db`), { readonly: true });
      const names = file.prepare(`SELECT name FROM sqlite_master WHERE name LIKE '%app%' OR name LIKE '__drizzle%'`).pluck().all();
      file.close();
      expect(names).toEqual([]);
    }
    const first = await freshConfig(backend);
    expect((await restoreInstallation(first, without.dir)).appTables).toEqual(skipped(backend));
    await expectAbsent(first, backend);

    const full = await backupInstallation(source, join(tempDir(), 'backup'));
    const second = await freshConfig(backend);
    expect((await restoreInstallation(second, full.dir, { appTables: 'skip' })).appTables).toEqual(skipped(backend));
    await expectAbsent(second, backend);
    expect((await runDoctor(second)).ok).toBe(true);
  });

  it('copy to the same backend carries them by default, or skips them', async () => {
    const source = await installationWithApp(backend);
    const target = await freshConfig(backend);
    const copied = await copyInstallation(source, target);
    expect(copied.appTables).toEqual(carried(backend));
    await expectCarried(source, target);

    const bare = await freshConfig(backend);
    expect((await copyInstallation(source, bare, { appTables: 'skip' })).appTables).toEqual(skipped(backend));
    await expectAbsent(bare, backend);
  });

  it(`copy to ${other(backend)} refuses to carry them, naming them and --app-tables skip, and copies without them when skipped`, async () => {
    const source = await installationWithApp(backend);
    const target = await freshConfig(other(backend));
    const error = await refusal(copyInstallation(source, target));
    expect(error).toBeInstanceOf(OperationError);
    expect(error!.message).toContain(`${APP_STORE.name}.app_events`);
    expect(error!.message).toContain('--app-tables skip');
    expect(error!.message).toContain('nothing was changed');

    const copied = await copyInstallation(source, target, { appTables: 'skip' });
    expect(copied.appTables).toEqual(skipped(backend));
    await expectAbsent(target, backend);
    expect((await runDoctor(target)).ok).toBe(true);
  });

  it('doctor reports them by name in a check that does not fail', async () => {
    const config = await installationWithApp(backend);
    const report = await runDoctor(config);
    expect(report.ok).toBe(true);
    const check = report.checks.find((c) => c.store === APP_STORE.name && c.check === 'app tables');
    expect(check?.status).toBe('ok');
    for (const table of APP_TABLES[backend]) expect(check?.detail).toContain(table);
    expect(report.checks.find((c) => c.store === 'scheduler' && c.check === 'app tables')?.detail).toBe('none');
  });
});

it("SQLite: a store whose journal an earlier build kept in the application's __drizzle_migrations is refused until migrated, then carried without piri-db's rows", async () => {
  const source = await installationWithApp('sqlite');
  await rewindToLegacyJournals(source);
  const error = await refusal(backupInstallation(source, join(tempDir(), 'backup')));
  expect(error?.code).toBe('SOURCE_NOT_READY');
  expect(error?.message).toContain('run `piri-db migrate` on it once');
  expect((await refusal(copyInstallation(source, await freshConfig('sqlite'))))?.code).toBe('SOURCE_NOT_READY');

  await (await openDatabases(source)).close(); // what `piri-db migrate` does
  const backup = await backupInstallation(source, join(tempDir(), 'backup'));
  expect(backup.appTables).toEqual(carried('sqlite'));
});
