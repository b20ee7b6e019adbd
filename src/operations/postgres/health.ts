/**
 * doctor on Postgres: one read-only look at each store's schema. Postgres enforces foreign keys itself, so
 * instead of scanning for orphans this checks that no constraint was left unvalidated (NOT VALID) and that
 * the store's triggers exist and are enabled.
 */
import type { Sql } from 'postgres';
import { readPostgresJournal } from '../../backend/postgres/migrate.ts';
import type { PostgresConfig } from '../../config/load.ts';
import { redactUrl } from '../../config/redact.ts';
import { type QueueDefinition, type StoreDefinition, STORES } from '../../catalog/registry.ts';
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
import { openOperationsPool } from './pool.ts';
import * as q from './sql.ts';

export async function postgresHealth(config: PostgresConfig, context: HealthContext): Promise<DoctorCheck[]> {
  const sql = await openOperationsPool(config, 1);
  try {
    const checks: DoctorCheck[] = [];
    for (const store of STORES) {
      const exists = (await sql.unsafe(q.SCHEMA_EXISTS, [store.pgSchema])).length > 0;
      if (!exists) {
        checks.push(check(store.name, 'setup', 'fail', `schema ${store.pgSchema} does not exist in ${redactUrl(config.url)}: run \`piri-db migrate\``));
        continue;
      }
      checks.push(check(store.name, 'setup', 'ok', `schema ${store.pgSchema}`));
      checks.push(migrationsCheck('postgres', store, await readPostgresJournal(sql, store)));
      checks.push(
        ...(await guarded(store.name, 'constraints', async () => {
          const unvalidated = await sql.unsafe<{ name: string; table: string }[]>(q.UNVALIDATED_CONSTRAINTS, [store.pgSchema]);
          return [
            unvalidated.length > 0
              ? check(
                  store.name,
                  'constraints',
                  'fail',
                  `not validated: ${unvalidated.map((c) => `${c.name} on ${c.table}`).join(', ')} (ALTER TABLE ... VALIDATE CONSTRAINT)`,
                )
              : check(store.name, 'constraints', 'ok', 'every constraint validated (Postgres enforces foreign keys)'),
          ];
        })),
      );
      checks.push(
        ...(await guarded(store.name, 'triggers', async () => {
          const triggers = await sql.unsafe<{ name: string; enabled: string }[]>(q.USER_TRIGGERS, [store.pgSchema]);
          return [triggersCheck(store, triggers.map((t) => ({ name: t.name, enabled: t.enabled !== 'D' })))];
        })),
      );
      checks.push(
        ...(await guarded(store.name, 'app tables', async () => {
          const tables = await sql.unsafe<{ table_name: string }[]>(q.TABLE_NAMES, [store.pgSchema]);
          return [appTablesCheck(store, tables.map((t) => t.table_name))];
        })),
      );
      for (const queue of store.queues) {
        checks.push(
          ...(await guarded(store.name, `queue ${queue.name}`, async () => queueChecks(store, queue, await queueCounts(sql, store, queue, context.now)))),
        );
      }
    }
    return checks;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function queueCounts(sql: Sql, store: StoreDefinition, queue: QueueDefinition, now: Date): Promise<QueueCounts> {
  const far = new Date(now.getTime() + farBeyondWindowMs(queue));
  const [row] =
    queue.kind === 'plain'
      ? await sql.unsafe<QueueCounts[]>(q.plainQueueHealth(store.pgSchema), [queue.maxDeliveries, now.toISOString(), far.toISOString(), queue.name])
      : await sql.unsafe<QueueCounts[]>(q.dedupQueueHealth(store.pgSchema), [
          queue.maxDeliveries,
          String(Math.floor(now.getTime() / 1000)),
          String(Math.floor(far.getTime() / 1000)),
          queue.name,
        ]);
  return row!;
}
