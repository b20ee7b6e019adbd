/**
 * Where piri-db keeps its migration journals (issue #13): out of drizzle's defaults, so an application running
 * drizzle's own migrator in the same PostgreSQL database or store file keeps its journal; and the move from
 * where earlier builds kept them, at boot.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import postgres from 'postgres';
import { expect, it } from 'vitest';
import { shippedMigrations } from '../../src/backend/migrations.ts';
import type { Config } from '../../src/config/load.ts';
import { backupInstallation } from '../../src/operations/backup.ts';
import { copyInstallation } from '../../src/operations/copy.ts';
import { restoreInstallation } from '../../src/operations/restore.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { type Dialect, STORES } from '../../src/catalog/registry.ts';
import { forEachBackend, freshConfig, tempDir } from '../support/installations.ts';
import { APP_STORE, appMigrations, bootApp, runSqliteStatement } from '../support/app-migrations.ts';
import { rewindToLegacyJournals } from '../support/legacy-journal.ts';

interface Row {
  hash: string;
  createdAt: number;
}

/** Runs SQL on an installation (SQLite: in `store`'s file) and returns the rows. */
async function query(config: Config, text: string, store = APP_STORE): Promise<Record<string, unknown>[]> {
  if (config.database.type === 'postgres') {
    const sql = postgres(config.database.postgres.url, { max: 1, onnotice: () => {} });
    try {
      return [...(await sql.unsafe(text))];
    } finally {
      await sql.end();
    }
  }
  const file = join(config.dataDir, store.sqlitePath);
  const db = new Database(file);
  try {
    return runSqliteStatement(db, text);
  } finally {
    db.close();
  }
}

const tableExists = async (config: Config, name: string, store = APP_STORE) =>
  config.database.type === 'postgres'
    ? (await query(config, `SELECT to_regclass('${name}') IS NOT NULL AS e`))[0]!.e === true
    : (await query(config, `SELECT name FROM sqlite_master WHERE type = 'table' AND name = '${name}'`, store)).length === 1;

async function journalRows(config: Config, table: string, store = APP_STORE): Promise<Row[]> {
  const rows = await query(config, `SELECT hash, created_at FROM ${table} ORDER BY id`, store);
  return rows.map((r) => ({ hash: String(r.hash), createdAt: Number(r.created_at) }));
}

const piriJournal = (backend: Dialect, store = APP_STORE) =>
  backend === 'postgres' ? `piri_db.migrations_${store.name}` : '__piri_db_migrations';
const legacyJournal = (backend: Dialect, store = APP_STORE) =>
  backend === 'postgres' ? `drizzle.__migrations_${store.name}` : '__drizzle_migrations';
const appJournal = (backend: Dialect) => (backend === 'postgres' ? 'drizzle.__drizzle_migrations' : '__drizzle_migrations');

const shipped = (backend: Dialect, store = APP_STORE): Row[] =>
  shippedMigrations(backend, store).map((m) => ({ hash: m.hash, createdAt: m.createdAt }));

const bootPiri = async (config: Config) => (await openDatabases(config)).close();

forEachBackend('migration journals', (backend) => {
  it("keeps piri-db's journal out of drizzle's default, where an application's migrator writes", async () => {
    const config = await freshConfig(backend);
    await bootPiri(config);
    expect(await journalRows(config, piriJournal(backend))).toEqual(shipped(backend));
    expect(await tableExists(config, appJournal(backend))).toBe(false);
  });

  it.each(['application first', 'piri-db first'])(
    'an application running drizzle migrate() in the same %s boots beside piri-db, repeatedly',
    async (order) => {
      const config = await freshConfig(backend);
      const app = appMigrations(backend, 1);
      const both = order === 'application first' ? [() => bootApp(config, app), () => bootPiri(config)] : [() => bootPiri(config), () => bootApp(config, app)];
      for (let round = 0; round < 3; round++) for (const boot of both) await boot();
      const appRows = await journalRows(config, appJournal(backend));
      expect(appRows.map((r) => r.createdAt)).toEqual([1_700_000_000_000]);
      expect(await journalRows(config, piriJournal(backend))).toEqual(shipped(backend));
      for (const store of STORES) expect(await journalRows(config, piriJournal(backend, store), store)).toEqual(shipped(backend, store));
      await query(config, "INSERT INTO app_notes (body) VALUES ('kept')");
      await bootPiri(config);
      expect(await query(config, 'SELECT body FROM app_notes')).toEqual([{ body: 'kept' }]);
    },
  );

  it('moves the journals of an installation migrated by an earlier build, re-applying nothing', async () => {
    const config = await freshConfig(backend);
    await bootPiri(config);
    await rewindToLegacyJournals(config);
    for (const store of STORES) expect(await tableExists(config, legacyJournal(backend, store), store)).toBe(true);

    // Applying 0000_init again would fail on its CREATE TABLEs: this boot succeeds only if it reads the old journal.
    await bootPiri(config);
    for (const store of STORES) {
      expect(await journalRows(config, piriJournal(backend, store), store)).toEqual(shipped(backend, store));
      expect(await tableExists(config, legacyJournal(backend, store), store)).toBe(false);
    }
    await bootPiri(config);
    for (const store of STORES) expect(await journalRows(config, piriJournal(backend, store), store)).toEqual(shipped(backend, store));
  });

  it("moves only piri-db's rows out of an old journal an application shares, and leaves the application's", async () => {
    const config = await freshConfig(backend);
    const app = appMigrations(backend, 1);
    await bootApp(config, app);
    await bootPiri(config);
    const appBefore = await journalRows(config, appJournal(backend));
    // On SQLite earlier builds shared the application's table: piri-db's rows join the application's there.
    await rewindToLegacyJournals(config);

    await bootPiri(config);
    expect(await journalRows(config, appJournal(backend))).toEqual(appBefore);
    expect(await journalRows(config, piriJournal(backend))).toEqual(shipped(backend));
    await bootApp(config, appMigrations(backend, 2));
    expect((await journalRows(config, appJournal(backend))).map((r) => r.createdAt)).toEqual([1_700_000_000_000, 1_700_000_001_000]);
  });
});

it("backup, restore and copy leave an application's journal in the PostgreSQL database alone", async () => {
  const source = await freshConfig('postgres');
  await bootApp(source, appMigrations('postgres', 1));
  await bootPiri(source);
  const dir = join(tempDir(), 'backup');
  await backupInstallation(source, dir);

  // The application's next release migrates; then piri-db's data is restored into a fresh installation beside it.
  const target = await freshConfig('postgres');
  await bootApp(target, appMigrations('postgres', 2));
  await restoreInstallation(target, dir);
  expect((await journalRows(target, appJournal('postgres'))).map((r) => r.createdAt)).toEqual([1_700_000_000_000, 1_700_000_001_000]);
  expect(await journalRows(target, piriJournal('postgres'))).toEqual(shipped('postgres'));

  const copied = await freshConfig('postgres');
  await bootApp(copied, appMigrations('postgres', 2));
  await copyInstallation(source, copied);
  expect((await journalRows(copied, appJournal('postgres'))).map((r) => r.createdAt)).toEqual([1_700_000_000_000, 1_700_000_001_000]);
  expect(await journalRows(copied, piriJournal('postgres'))).toEqual(shipped('postgres'));
});
