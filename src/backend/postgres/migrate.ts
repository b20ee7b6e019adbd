/**
 * Applies pending migrations of every store in ONE transaction that first takes a transaction-level advisory lock
 * (pg_advisory_xact_lock) and only then reads the journals: a second booting process waits for the lock, then reads
 * the journals the first one committed, and finds nothing pending. Nothing here is session state, so it works the
 * same through a transaction-mode pooler (PgBouncer), where consecutive transactions of one client may run on
 * different server connections: a session lock taken on one could be "released" on another and stay held forever,
 * and a SET would leak to whoever gets the connection next. The lock ends with the transaction, whatever happens
 * to the client. One transaction also makes a boot all or nothing: a failing migration leaves no store half-migrated.
 *
 * Each store has its own journal, piri_db.migrations_<store>: drizzle's shared default journal silently
 * skips the migrations of stores migrated after the first. The journals live in a schema of piri-db's own, not in
 * drizzle's default `drizzle` schema, which an application's drizzle migrator also writes (and a backup of that
 * schema restored over the application's journal). Earlier builds kept them as drizzle.__migrations_<store>; the
 * first boot of this build moves them (upgradeLegacyJournals), under the lock, and leaves the rest of `drizzle`.
 *
 * The transaction sets its own timeouts (SET LOCAL): a lock_timeout or statement_timeout set on the server, database
 * or role would otherwise end a boot that waits for another one's migrations, or a long migration. The wait for the
 * lock is bounded instead (lockWaitMs), and ends in a MigrationError naming who holds the lock.
 */
import type { Sql, TransactionSql } from 'postgres';
import { formatDuration } from '../../config/duration.ts';
import { errorCode } from '../../narrow.ts';
import { MigrationError } from '../../errors.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import {
  assertTriggers,
  migrationFailed,
  planMigrations,
  type AppliedMigration,
  type MigrationPlan,
} from '../migrations.ts';

export const JOURNAL_SCHEMA = 'piri_db';
const LEGACY_JOURNAL_SCHEMA = 'drizzle';
/** pg_advisory_xact_lock(key1, key2): 'piri' and 'migr' as int4. */
const LOCK_KEYS = [0x70697269, 0x6d696772] as const;
/** How long a boot waits for another process's migrations by default. */
export const DEFAULT_MIGRATION_LOCK_WAIT_MS = 10 * 60_000;
/** lock_timeout is an int4 of milliseconds. */
export const MAX_MIGRATION_LOCK_WAIT_MS = 2_147_483_647;
/** SQLSTATE lock_not_available: lock_timeout ended the wait. */
const LOCK_NOT_AVAILABLE = '55P03';

/** The pool, or a transaction of it. */
type Queryable = Sql | TransactionSql;

export function journalTable(store: StoreDefinition): string {
  return `"${JOURNAL_SCHEMA}"."migrations_${store.name}"`;
}

function legacyJournalTable(store: StoreDefinition): string {
  return `"${LEGACY_JOURNAL_SCHEMA}"."__migrations_${store.name}"`;
}

/** Until the first boot of this build has moved it, a store's journal is read where earlier builds wrote it. */
export async function readPostgresJournal(sql: Queryable, store: StoreDefinition): Promise<AppliedMigration[]> {
  for (const table of [journalTable(store), legacyJournalTable(store)]) {
    if (!(await tableExists(sql, table))) continue;
    const rows = await sql.unsafe<{ hash: string; created_at: string }[]>(
      `SELECT hash, created_at FROM ${table} ORDER BY created_at`,
    );
    return rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) }));
  }
  return [];
}

async function tableExists(sql: Queryable, table: string): Promise<boolean> {
  const [row] = await sql<{ exists: boolean }[]>`SELECT to_regclass(${table}) IS NOT NULL AS exists`;
  return row?.exists === true;
}

/**
 * Moves each store's journal from drizzle.__migrations_<store> (earlier builds; those tables are piri-db's by name)
 * to piri_db, rows and all, then drops the old table. The caller's transaction holds the migration lock, so a
 * concurrent boot finds the move done. The `drizzle` schema itself stays: it may be the application's.
 */
async function upgradeLegacyJournals(tx: TransactionSql, stores: readonly StoreDefinition[]): Promise<void> {
  for (const store of stores) {
    if ((await tableExists(tx, journalTable(store))) || !(await tableExists(tx, legacyJournalTable(store)))) continue;
    await createJournal(tx, store);
    await tx.unsafe(
      `INSERT INTO ${journalTable(store)} (hash, created_at) SELECT hash, created_at FROM ${legacyJournalTable(store)} ORDER BY id`,
    );
    await tx.unsafe(`DROP TABLE ${legacyJournalTable(store)}`);
  }
}

export async function createJournal(conn: TransactionSql, store: StoreDefinition): Promise<void> {
  await conn.unsafe(`CREATE SCHEMA IF NOT EXISTS "${JOURNAL_SCHEMA}"`);
  await conn.unsafe(
    `CREATE TABLE IF NOT EXISTS ${journalTable(store)} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
  );
}

/** The migration lock, until the transaction ends: whatever migrates waits for it (boots, adopt). */
export async function takeMigrationLock(tx: TransactionSql): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
}

export async function planPostgres(sql: Queryable, store: StoreDefinition): Promise<MigrationPlan> {
  return planMigrations('postgres', store, await readPostgresJournal(sql, store));
}

export async function migratePostgres(
  pool: Sql,
  stores: readonly StoreDefinition[],
  lockWaitMs = DEFAULT_MIGRATION_LOCK_WAIT_MS,
): Promise<void> {
  try {
    await pool.begin(async (tx) => {
      await tx.unsafe('SET LOCAL statement_timeout = 0');
      await tx.unsafe(`SET LOCAL lock_timeout = ${Math.max(1, Math.round(lockWaitMs))}`);
      await takeMigrationLock(tx);
      // Bounded is the wait for the lock; the migrations after it wait for their locks as long as they need.
      await tx.unsafe('SET LOCAL lock_timeout = 0');
      await upgradeLegacyJournals(tx, stores);
      // Every plan first: a database written by a newer build is refused before anything changes.
      const plans = [];
      for (const store of stores) plans.push({ store, plan: await planPostgres(tx, store) });
      for (const { store, plan } of plans) await applyPending(tx, store, plan);
      for (const store of stores) assertTriggers(store, await postgresTriggers(tx, store));
    });
  } catch (error) {
    if (errorCode(error) !== LOCK_NOT_AVAILABLE) throw error;
    throw new MigrationError(
      'MIGRATION_LOCK_TIMEOUT',
      `waited ${formatDuration(lockWaitMs)} for the migration lock, held by ${await lockHolder(pool)}; nothing ` +
        'was changed. If that process is migrating, let it finish and start again; if it hangs, stop it ' +
        '(SELECT pg_terminate_backend(<pid>)), which releases the lock',
      { cause: error },
    );
  }
}

interface LockHolderRow {
  pid: number;
  application_name: string | null;
  client_addr: string | null;
  backend_start: Date | null;
}

/** Who holds the migration lock, in words, as far as pg_stat_activity shows this role. */
async function lockHolder(sql: Sql): Promise<string> {
  const [holder] = await sql<LockHolderRow[]>`
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

/** Runs `plan`'s pending migrations in the caller's transaction, each recorded in the store's journal. */
export async function applyPending(tx: TransactionSql, store: StoreDefinition, plan: MigrationPlan): Promise<void> {
  if (plan.pending.length === 0) return;
  await createJournal(tx, store);
  for (const migration of plan.pending) {
    try {
      for (const statement of migration.statements) await tx.unsafe(statement);
      await tx.unsafe(`INSERT INTO ${journalTable(store)} (hash, created_at) VALUES ($1, $2)`, [migration.hash, migration.createdAt]);
    } catch (error) {
      throw migrationFailed(store, migration, error);
    }
  }
}

export async function postgresTriggers(sql: Queryable, store: StoreDefinition): Promise<string[]> {
  const rows = await sql<{ tgname: string }[]>`
    SELECT t.tgname FROM pg_trigger t
    JOIN pg_class c ON c.oid = t.tgrelid
    JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${store.pgSchema} AND NOT t.tgisinternal`;
  return rows.map((r) => r.tgname);
}
