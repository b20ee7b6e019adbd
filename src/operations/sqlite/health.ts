/**
 * doctor on SQLite: every store file opened read-only (safe beside a running instance; nothing is created).
 * Besides the shared checks: integrity_check, foreign_key_check, table shapes (STRICT / WITHOUT ROWID, which
 * a drizzle-kit table rebuild would silently drop), and the size of the WAL file.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { shippedMigrations } from '../../backend/migrations.ts';
import { readSqliteJournal } from '../../backend/sqlite/migrate.ts';
import { allRows, columnValues, onlyRow } from '../../backend/sqlite/rows.ts';
import { openSqliteStoreReadOnly, sqliteStoreFile } from '../../backend/sqlite/open.ts';
import type { SqliteStoreConnection } from '../../backend/types.ts';
import { type StoreDefinition, STORES } from '../../catalog/registry.ts';
import { sqliteTimeWriter, storeTables } from '../catalog.ts';
import {
  appTablesCheck,
  check,
  type DoctorCheck,
  farBeyondWindowMs,
  guarded,
  type HealthContext,
  migrationsCheck,
  type QueueCounts,
  queueChecks,
  triggersCheck,
} from '../health.ts';
import { integrityProblems } from './target.ts';
import * as q from './sql.ts';

export async function sqliteHealth(dataDir: string, context: HealthContext): Promise<DoctorCheck[]> {
  const checks: DoctorCheck[] = [];
  for (const store of STORES) {
    const conn = openSqliteStoreReadOnly(dataDir, store);
    if (!conn) {
      checks.push(check(store.name, 'setup', 'fail', `${sqliteStoreFile(dataDir, store)} does not exist: run \`piri-db migrate\``));
      continue;
    }
    try {
      checks.push(check(store.name, 'setup', 'ok', conn.file));
      checks.push(...(await storeChecks(conn, store, context)));
    } finally {
      conn.client.close();
    }
  }
  return checks;
}

async function storeChecks(conn: SqliteStoreConnection, store: StoreDefinition, context: HealthContext): Promise<DoctorCheck[]> {
  const { client } = conn;
  const migrations = migrationsCheck('sqlite', store, readSqliteJournal(conn));
  const checks: DoctorCheck[] = [migrations];
  checks.push(
    ...(await guarded(store.name, 'integrity', () => {
      const problems = integrityProblems(client);
      const integrity = problems.find((p) => p.startsWith('integrity_check'));
      const foreignKeys = problems.find((p) => p.startsWith('foreign_key_check'));
      return [
        integrity
          ? check(store.name, 'integrity', 'fail', `${integrity}: restore the latest backup (docs/operations.md)`)
          : check(store.name, 'integrity', 'ok', 'integrity_check ok'),
        foreignKeys
          ? check(store.name, 'foreign keys', 'fail', `${foreignKeys}: rows were written with foreign keys off`)
          : check(store.name, 'foreign keys', 'ok', 'foreign_key_check clean'),
      ];
    })),
  );
  checks.push(
    ...(await guarded(store.name, 'triggers', () => {
      const names = columnValues<string>(client.prepare(q.TRIGGER_NAMES));
      return [triggersCheck(store, names.map((name) => ({ name, enabled: true })))];
    })),
  );
  checks.push(...(await guarded(store.name, 'app tables', () => [appTablesCheck(store, columnValues<string>(client.prepare(q.TABLE_NAMES)))])));
  if (migrations.status === 'ok') checks.push(...(await guarded(store.name, 'table shapes', () => [shapesCheck(client, store)])));
  else checks.push(check(store.name, 'table shapes', 'warn', 'not checked while migrations are not current'));
  for (const queue of store.queues) {
    checks.push(...(await guarded(store.name, `queue ${queue.name}`, () => queueChecks(store, queue, queueCounts(client, store, queue, context.now)))));
  }
  checks.push(walCheck(conn, store, context));
  return checks;
}

function queueCounts(client: Database.Database, store: StoreDefinition, queue: StoreDefinition['queues'][number], now: Date): QueueCounts {
  const far = new Date(now.getTime() + farBeyondWindowMs(queue));
  if (queue.kind === 'plain') {
    // Times in the queue's own text format, which is compared as text.
    const jobqueue = storeTables(store).find((t) => t.name === 'jobqueue')!;
    const time = sqliteTimeWriter(jobqueue, 'timeout');
    return onlyRow<QueueCounts>(client.prepare(q.PLAIN_QUEUE_HEALTH), queue.maxDeliveries, time(now), time(far), queue.name);
  }
  const seconds = (d: Date) => Math.floor(d.getTime() / 1000);
  return onlyRow<QueueCounts>(client.prepare(q.DEDUP_QUEUE_HEALTH), queue.maxDeliveries, seconds(now), seconds(far), queue.name);
}

interface TableShape {
  readonly name: string;
  readonly wr: number;
  readonly strict: number;
}

const referenceShapes = new Map<string, readonly TableShape[]>();

/** The shapes this build's migrations give the store's tables, from applying them to an in-memory database. */
function expectedShapes(store: StoreDefinition): readonly TableShape[] {
  let shapes = referenceShapes.get(store.name);
  if (!shapes) {
    const memory = new Database(':memory:');
    try {
      memory.pragma('foreign_keys = OFF');
      for (const migration of shippedMigrations('sqlite', store)) for (const statement of migration.statements) memory.exec(statement);
      shapes = allRows<TableShape>(memory.prepare(q.TABLE_LIST));
    } finally {
      memory.close();
    }
    referenceShapes.set(store.name, shapes);
  }
  return shapes;
}

function shapesCheck(client: Database.Database, store: StoreDefinition): DoctorCheck {
  const actual = new Map(allRows<TableShape>(client.prepare(q.TABLE_LIST)).map((t) => [t.name, t]));
  const problems: string[] = [];
  for (const want of expectedShapes(store)) {
    const have = actual.get(want.name);
    if (!have) problems.push(`${want.name} is missing`);
    else {
      if (want.strict && !have.strict) problems.push(`${want.name} is no longer STRICT`);
      if (want.wr && !have.wr) problems.push(`${want.name} is no longer WITHOUT ROWID`);
      if (!want.strict && have.strict) problems.push(`${want.name} became STRICT`);
    }
  }
  if (problems.length > 0) {
    return check(
      store.name,
      'table shapes',
      'fail',
      `${problems.join('; ')}: a table rebuild (e.g. a generated migration) dropped what the queue SQL relies on`,
    );
  }
  const special = expectedShapes(store).filter((t) => t.strict || t.wr);
  return check(store.name, 'table shapes', 'ok', special.length === 0 ? 'as migrated' : `${special.length} STRICT / WITHOUT ROWID table(s) as migrated`);
}

function walCheck(conn: SqliteStoreConnection, store: StoreDefinition, context: HealthContext): DoctorCheck {
  const wal = `${conn.file}-wal`;
  const bytes = existsSync(wal) ? statSync(wal).size : 0;
  const mib = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (bytes > context.walWarnBytes) {
    return check(
      store.name,
      'wal',
      'warn',
      `${wal} is ${mib(bytes)} (above ${mib(context.walWarnBytes)}): a long-lived reader is holding back checkpoints; ` +
        'it shrinks once readers finish (or when piri restarts)',
    );
  }
  return check(store.name, 'wal', 'ok', `${mib(bytes)}`);
}
