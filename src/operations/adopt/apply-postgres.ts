/**
 * Adopts the four Postgres stores in ONE transaction under the migration lock (boots wait for it): other sessions
 * are looked for again inside it, then per store the baseline is recorded, Piri's colliding triggers and
 * search_path-bound functions dropped and the pending migrations run; every table's row count is checked against
 * the count before and every expected trigger must exist. Any failure rolls everything back.
 *
 * Times need nothing here: Piri's Postgres columns are timestamptz, one instant whatever zone wrote them. Ids
 * need nothing either: SERIAL sequences never hand an id out twice.
 */
import type { Sql } from 'postgres';
import { assertTriggers } from '../../backend/migrations.ts';
import { applyPending, createJournal, journalTable, postgresTriggers, takeMigrationLock } from '../../backend/postgres/migrate.ts';
import { OperationError } from '../../errors.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import type { ProgressListener } from '../progress.ts';
import { assertIdle, postgresActivity } from './activity.ts';
import { dropStatements, type MigrationSteps } from './plan.ts';
import { changeLog, describeChange, type StoreAdoption } from './report.ts';

export async function adoptPostgres(
  sql: Sql,
  location: string,
  plans: readonly { store: StoreDefinition; steps: MigrationSteps }[],
  progress: ProgressListener,
): Promise<StoreAdoption[]> {
  return sql.begin(async (tx) => {
    await takeMigrationLock(tx);
    assertIdle(location, await postgresActivity(tx));
    const adopted: StoreAdoption[] = [];
    for (const { store, steps } of plans) {
      const changes = changeLog();
      const tables = (
        await tx<{ name: string }[]>`SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ${store.pgSchema} AND table_type = 'BASE TABLE' ORDER BY table_name`
      ).map((r) => r.name);
      const count = async () => {
        const counts = new Map<string, number>();
        for (const t of tables) {
          const [row] = await tx.unsafe<{ n: string }[]>(`SELECT count(*) AS n FROM "${store.pgSchema}"."${t}"`);
          counts.set(t, Number(row!.n));
        }
        return counts;
      };
      const before = await count();
      await createJournal(tx, store);
      for (const migration of steps.baseline) {
        await tx.unsafe(`INSERT INTO ${journalTable(store)} (hash, created_at) VALUES ($1, $2)`, [migration.hash, migration.createdAt]);
        changes.add(describeChange.baseline(migration));
      }
      for (const { collision, statement } of dropStatements('postgres', store, steps.collisions)) {
        await tx.unsafe(statement);
        changes.add(describeChange.drop(collision));
      }
      progress({ kind: 'step', message: `${store.name}: applying ${steps.pending.map((m) => m.tag).join(', ') || 'nothing'}` });
      await applyPending(tx, store, { applied: steps.baseline, pending: steps.pending });
      for (const migration of steps.pending) changes.add(describeChange.apply(migration));
      const after = await count();
      const lost = tables.filter((t) => before.get(t) !== after.get(t));
      if (lost.length > 0) {
        throw new OperationError(
          'VERIFY_FAILED',
          `store ${store.name}: row counts changed (${lost.map((t) => `${t} ${before.get(t)} -> ${after.get(t)}`).join(', ')}); rolled back`,
        );
      }
      assertTriggers(store, await postgresTriggers(tx, store));
      adopted.push({ store: store.name, tables: tables.map((t) => ({ table: t, rowsBefore: before.get(t)!, rowsAfter: after.get(t)! })), changes: changes.list });
    }
    return adopted;
  });
}
