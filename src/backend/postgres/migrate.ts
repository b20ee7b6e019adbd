/**
 * Applies pending migrations of every store under one SESSION advisory lock, held on a dedicated connection
 * for the whole run: the journal is read before any migration transaction starts, so a transaction-level lock
 * could not stop two booting processes from both seeing a migration as pending. Migrations run on that same
 * connection, so a pool of one cannot deadlock against itself.
 *
 * Each store has its own journal, piri_db.migrations_<store>: drizzle's shared default journal silently
 * skips the migrations of stores migrated after the first. The journals live in a schema of piri-db's own, not in
 * drizzle's default `drizzle` schema, which an application's drizzle migrator also writes (and a backup of that
 * schema restored over the application's journal). Earlier builds kept them as drizzle.__migrations_<store>; the
 * first boot of this build moves them (upgradeLegacyJournals), under the lock, and leaves the rest of `drizzle`.
 *
 * The session sets its own timeouts: a lock_timeout or statement_timeout set on the server, database or role would
 * otherwise end a boot that waits for another one's migrations, or a long migration. The wait for the lock is
 * bounded instead (lockWaitMs), and ends in a MigrationError naming who holds the lock.
 */
import type { ReservedSql, Sql } from 'postgres';
import { formatDuration } from '../../config/duration.ts';
import { MigrationError } from '../../errors.ts';
import type { StoreDefinition } from '../../stores/registry.ts';
import {
  assertTriggers,
  migrationFailed,
  planMigrations,
  type AppliedMigration,
  type MigrationPlan,
} from '../migrations.ts';

export const JOURNAL_SCHEMA = 'piri_db';
const LEGACY_JOURNAL_SCHEMA = 'drizzle';
/** pg_advisory_lock(key1, key2): 'piri' and 'migr' as int4. */
const LOCK_KEYS = [0x70697269, 0x6d696772] as const;
/** How long a boot waits for another process's migrations by default. */
export const DEFAULT_MIGRATION_LOCK_WAIT_MS = 10 * 60_000;
/** lock_timeout is an int4 of milliseconds. */
export const MAX_MIGRATION_LOCK_WAIT_MS = 2_147_483_647;
/** SQLSTATE lock_not_available: lock_timeout ended the wait. */
const LOCK_NOT_AVAILABLE = '55P03';

export function journalTable(store: StoreDefinition): string {
  return `"${JOURNAL_SCHEMA}"."migrations_${store.name}"`;
}

function legacyJournalTable(store: StoreDefinition): string {
  return `"${LEGACY_JOURNAL_SCHEMA}"."__migrations_${store.name}"`;
}

/** Until the first boot of this build has moved it, a store's journal is read where earlier builds wrote it. */
export async function readPostgresJournal(sql: Sql, store: StoreDefinition): Promise<AppliedMigration[]> {
  for (const table of [journalTable(store), legacyJournalTable(store)]) {
    if (!(await tableExists(sql, table))) continue;
    const rows = await sql.unsafe<{ hash: string; created_at: string }[]>(
      `SELECT hash, created_at FROM ${table} ORDER BY created_at`,
    );
    return rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) }));
  }
  return [];
}

async function tableExists(sql: Sql, table: string): Promise<boolean> {
  const [{ exists }] = (await sql`SELECT to_regclass(${table}) IS NOT NULL AS exists`) as unknown as [{ exists: boolean }];
  return exists;
}

/**
 * Moves each store's journal from drizzle.__migrations_<store> (earlier builds; those tables are piri-db's by name)
 * to piri_db, rows and all, one transaction per store, then drops the old table. The caller holds the migration
 * lock, so a concurrent boot finds the move done. The `drizzle` schema itself stays: it may be the application's.
 */
async function upgradeLegacyJournals(conn: ReservedSql, stores: readonly StoreDefinition[]): Promise<void> {
  for (const store of stores) {
    if ((await tableExists(conn, journalTable(store))) || !(await tableExists(conn, legacyJournalTable(store)))) continue;
    await conn.unsafe('BEGIN');
    try {
      await createJournal(conn, store);
      await conn.unsafe(
        `INSERT INTO ${journalTable(store)} (hash, created_at) SELECT hash, created_at FROM ${legacyJournalTable(store)} ORDER BY id`,
      );
      await conn.unsafe(`DROP TABLE ${legacyJournalTable(store)}`);
      await conn.unsafe('COMMIT');
    } catch (error) {
      await conn.unsafe('ROLLBACK');
      throw error;
    }
  }
}

async function createJournal(conn: ReservedSql, store: StoreDefinition): Promise<void> {
  await conn.unsafe(`CREATE SCHEMA IF NOT EXISTS "${JOURNAL_SCHEMA}"`);
  await conn.unsafe(
    `CREATE TABLE IF NOT EXISTS ${journalTable(store)} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
  );
}

export async function planPostgres(sql: Sql, store: StoreDefinition): Promise<MigrationPlan> {
  return planMigrations('postgres', store, await readPostgresJournal(sql, store));
}

export async function migratePostgres(
  pool: Sql,
  stores: readonly StoreDefinition[],
  lockWaitMs = DEFAULT_MIGRATION_LOCK_WAIT_MS,
): Promise<void> {
  const conn = await pool.reserve();
  try {
    await conn`SET statement_timeout = 0`;
    await lockMigrations(conn, lockWaitMs);
    try {
      await upgradeLegacyJournals(conn, stores);
      // Every plan first: a database written by a newer build is refused before anything changes.
      const plans = [];
      for (const store of stores) plans.push({ store, plan: await planPostgres(conn, store) });
      for (const { store, plan } of plans) await applyPending(conn, store, plan);
      for (const store of stores) assertTriggers(store, await postgresTriggers(conn, store));
    } finally {
      await conn`SELECT pg_advisory_unlock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
    }
  } finally {
    // The connection goes back to the pool: the queries after boot run under the server's timeouts again.
    await conn.unsafe('RESET statement_timeout; RESET lock_timeout');
    conn.release();
  }
}

/** Waits at most lockWaitMs for the lock; the migrations after it wait for their locks as long as they need. */
async function lockMigrations(conn: ReservedSql, lockWaitMs: number): Promise<void> {
  await conn.unsafe(`SET lock_timeout = ${Math.max(1, Math.round(lockWaitMs))}`);
  try {
    await conn`SELECT pg_advisory_lock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
  } catch (error) {
    if ((error as { code?: unknown }).code !== LOCK_NOT_AVAILABLE) throw error;
    throw new MigrationError(
      'MIGRATION_LOCK_TIMEOUT',
      `waited ${formatDuration(lockWaitMs)} for the migration lock, held by ${await lockHolder(conn)}; nothing ` +
        'was changed. If that process is migrating, let it finish and start again; if it hangs, stop it ' +
        '(SELECT pg_terminate_backend(<pid>)), which releases the lock',
      { cause: error },
    );
  }
  await conn`SET lock_timeout = 0`;
}

interface LockHolderRow {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  backend_start: Date | null;
}

/** Who holds the migration lock, in words, as far as pg_stat_activity shows this role. */
async function lockHolder(conn: ReservedSql): Promise<string> {
  const [holder] = await conn<LockHolderRow[]>`
    SELECT a.pid, a.application_name, host(a.client_addr) AS client_addr, a.backend_start
    FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
    WHERE l.locktype = 'advisory' AND l.granted
      AND l.classid = ${LOCK_KEYS[0]} AND l.objid = ${LOCK_KEYS[1]} AND l.objsubid = 2`;
  if (holder === undefined) return 'a process that has released it since';
  const details = [
    holder.application_name ? `application ${holder.application_name}` : undefined,
    holder.client_addr ? `from ${holder.client_addr}` : undefined,
    holder.backend_start ? `connected since ${holder.backend_start.toISOString()}` : undefined,
  ].filter((d) => d !== undefined);
  return `server process ${holder.pid}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}

export async function applyPending(conn: ReservedSql, store: StoreDefinition, plan: MigrationPlan): Promise<void> {
  if (plan.pending.length === 0) return;
  await createJournal(conn, store);
  for (const migration of plan.pending) {
    await conn.unsafe('BEGIN');
    try {
      for (const statement of migration.statements) await conn.unsafe(statement);
      await conn.unsafe(`INSERT INTO ${journalTable(store)} (hash, created_at) VALUES ($1, $2)`, [
        migration.hash,
        migration.createdAt,
      ]);
      await conn.unsafe('COMMIT');
    } catch (error) {
      await conn.unsafe('ROLLBACK');
      throw migrationFailed(store, migration, error);
    }
  }
}

export async function postgresTriggers(sql: Sql, store: StoreDefinition): Promise<string[]> {
  const rows = await sql<{ tgname: string }[]>`
    SELECT t.tgname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${store.pgSchema} AND NOT t.tgisinternal`;
  return rows.map((r) => r.tgname);
}
