/**
 * Applies pending migrations of every store under one SESSION advisory lock, held on a dedicated connection
 * for the whole run: the journal is read before any migration transaction starts, so a transaction-level lock
 * could not stop two booting processes from both seeing a migration as pending. Migrations run on that same
 * connection, so a pool of one cannot deadlock against itself.
 *
 * Each store has its own journal, drizzle.__migrations_<store>: drizzle's shared default journal silently
 * skips the migrations of stores migrated after the first.
 */
import type { ReservedSql, Sql } from 'postgres';
import type { StoreDefinition } from '../../stores/registry.ts';
import {
  assertTriggers,
  migrationFailed,
  planMigrations,
  type AppliedMigration,
  type MigrationPlan,
} from '../migrations.ts';

const JOURNAL_SCHEMA = 'drizzle';
/** pg_advisory_lock(key1, key2): 'piri' and 'migr' as int4. */
const LOCK_KEYS = [0x70697269, 0x6d696772] as const;

export function journalTable(store: StoreDefinition): string {
  return `"${JOURNAL_SCHEMA}"."__migrations_${store.name}"`;
}

export async function readPostgresJournal(sql: Sql, store: StoreDefinition): Promise<AppliedMigration[]> {
  const [{ exists }] = (await sql`SELECT to_regclass(${`${JOURNAL_SCHEMA}.__migrations_${store.name}`}) IS NOT NULL AS exists`) as unknown as [
    { exists: boolean },
  ];
  if (!exists) return [];
  const rows = await sql.unsafe<{ hash: string; created_at: string }[]>(
    `SELECT hash, created_at FROM ${journalTable(store)} ORDER BY created_at`,
  );
  return rows.map((r) => ({ hash: r.hash, createdAt: Number(r.created_at) }));
}

export async function planPostgres(sql: Sql, store: StoreDefinition): Promise<MigrationPlan> {
  return planMigrations('postgres', store, await readPostgresJournal(sql, store));
}

export async function migratePostgres(pool: Sql, stores: readonly StoreDefinition[]): Promise<void> {
  const conn = await pool.reserve();
  try {
    await conn`SELECT pg_advisory_lock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
    try {
      // Every plan first: a database written by a newer build is refused before anything changes.
      const plans = [];
      for (const store of stores) plans.push({ store, plan: await planPostgres(conn, store) });
      for (const { store, plan } of plans) await applyPending(conn, store, plan);
      for (const store of stores) assertTriggers(store, await postgresTriggers(conn, store));
    } finally {
      await conn`SELECT pg_advisory_unlock(${LOCK_KEYS[0]}, ${LOCK_KEYS[1]})`;
    }
  } finally {
    conn.release();
  }
}

export async function applyPending(conn: ReservedSql, store: StoreDefinition, plan: MigrationPlan): Promise<void> {
  if (plan.pending.length === 0) return;
  await conn.unsafe(`CREATE SCHEMA IF NOT EXISTS "${JOURNAL_SCHEMA}"`);
  await conn.unsafe(
    `CREATE TABLE IF NOT EXISTS ${journalTable(store)} (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at bigint)`,
  );
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
