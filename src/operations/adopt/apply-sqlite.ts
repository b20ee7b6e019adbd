/**
 * Adopts one SQLite store, on the connection that has the file to itself (activity.ts), in ONE transaction: the
 * baseline recorded, Piri's times rewritten in UTC, Piri's colliding objects dropped, the pending migrations run,
 * the id sequence seeded, then every table's row count checked against the count before. Any failure rolls the
 * whole store back. Foreign keys are off around it (outside the transaction, where the pragma works), as for any
 * migration that rebuilds tables, and checked before commit.
 */
import type Database from 'better-sqlite3';
import { migrationFailed } from '../../backend/migrations.ts';
import {
  assertForeignKeys,
  createSqliteJournal,
  recordSqliteMigration,
  runSqliteMigration,
  SQLITE_JOURNAL,
  sqliteTriggers,
} from '../../backend/sqlite/migrate.ts';
import { columnValues, onlyValue } from '../../backend/sqlite/rows.ts';
import { assertTriggers } from '../../backend/migrations.ts';
import { OperationError } from '../../errors.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import type { ProgressListener } from '../progress.ts';
import { dropStatements, type MigrationSteps } from './plan.ts';
import { idSeeds, normaliseTimes, seedIds, timeFixes } from './sqlite-data.ts';
import { changeLog, describeChange, type StoreAdoption, tableCounts } from './report.ts';

export function adoptSqliteStore(
  client: Database.Database,
  store: StoreDefinition,
  steps: MigrationSteps,
  progress: ProgressListener,
): StoreAdoption {
  const changes = changeLog();
  const counts = (tables: readonly string[]) => tableCounts(tables, (t) => onlyValue<number>(client.prepare(`SELECT count(*) FROM "${t}"`)));
  // Piri's tables; a boot that failed on them may have left piri-db's journal behind, empty.
  const tables = columnValues<string>(
    client.prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?`),
    SQLITE_JOURNAL,
  );
  client.pragma('foreign_keys = OFF');
  try {
    return client
      .transaction(() => {
        const before = counts(tables);
        createSqliteJournal(client);
        for (const migration of steps.baseline) {
          recordSqliteMigration(client, migration);
          changes.add(describeChange.baseline(migration));
        }
        for (const fix of timeFixes(client, store)) {
          progress({ kind: 'step', message: `${store.name}: rewriting ${fix.rows} time(s) of ${fix.table}.${fix.column} in UTC` });
          changes.add(describeChange.time({ ...fix, rows: normaliseTimes(client, fix) }));
        }
        for (const { collision, statement } of dropStatements('sqlite', store, steps.collisions)) {
          client.exec(statement);
          changes.add(describeChange.drop(collision));
        }
        for (const migration of steps.pending) {
          progress({ kind: 'step', message: `${store.name}: applying ${migration.tag}` });
          try {
            runSqliteMigration(client, migration);
          } catch (error) {
            throw migrationFailed(store, migration, error);
          }
          changes.add(describeChange.apply(migration));
        }
        for (const seed of idSeeds(client, store)) {
          seedIds(client, seed);
          changes.add(describeChange.seed(seed));
        }
        assertForeignKeys(client);
        const after = counts(tables);
        const lost = tables.filter((t) => before.get(t) !== after.get(t));
        if (lost.length > 0) {
          throw new OperationError(
            'VERIFY_FAILED',
            `store ${store.name}: row counts changed (${lost.map((t) => `${t} ${before.get(t)} -> ${after.get(t)}`).join(', ')}); rolled back`,
          );
        }
        assertTriggers(store, sqliteTriggers({ client }));
        return { store: store.name, tables: tables.map((t) => ({ table: t, rowsBefore: before.get(t)!, rowsAfter: after.get(t)! })), changes: changes.list };
      })
      .immediate();
  } finally {
    client.pragma('foreign_keys = ON');
  }
}
