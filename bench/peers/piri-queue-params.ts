/**
 * What the raw peers share: Piri's plain-queue settings (data-model §4.8, replication queue), the statement sets
 * they can run, and the tables piri-db's own set runs on.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { STORES } from '../../src/catalog/registry.ts';

/** The queue piri-db's single calls use too, so that index keys have the same width on both sides. */
export const QUEUE_NAME = 'replication';
/** The store whose plain queue the raw peers stand in for: its Postgres schema and SQLite file hold piri-db's jobqueue. */
export const REPLICATOR = STORES.find((store) => store.name === 'replicator')!;
/** Visibility window a receive sets (MaxTimeout). */
export const VISIBILITY_MS = 5_000;
/** Deliveries allowed per message (MaxRetries, which counts deliveries). */
export const MAX_RECEIVE = 10;

/**
 * - 'piri-db': piri-db's statements on piri-db's tables: claims in (created, id) order off the index
 *   (queue, created, id), ids made by piri-db's newMessageId. The baseline of the single-call targets.
 * - 'piri': Piri's statements on Piri's table: claims in created order off the index (queue, created), ids from
 *   the column default.
 */
export type RawStatements = 'piri-db' | 'piri';

/**
 * Piri's jobqueue table on Postgres, with its `updated` trigger and a claim index, one statement per entry. The
 * index columns and a fillfactor are open for bench/queue/claim-order-variants.ts; by default it is Piri's table.
 */
export function piriPostgresTable({ index = 'queue, created', fillfactor }: { index?: string; fillfactor?: number } = {}): string[] {
  return [
    `CREATE TABLE jobqueue (
       id TEXT PRIMARY KEY DEFAULT ('m_' || replace(gen_random_uuid()::text, '-', '')),
       created TIMESTAMPTZ NOT NULL DEFAULT NOW(),
       updated TIMESTAMPTZ NOT NULL DEFAULT NOW(),
       queue TEXT NOT NULL,
       body BYTEA NOT NULL,
       timeout TIMESTAMPTZ NOT NULL DEFAULT NOW(),
       received INTEGER NOT NULL DEFAULT 0
     )${fillfactor === undefined ? '' : ` WITH (fillfactor = ${fillfactor})`}`,
    `CREATE INDEX jobqueue_queue_created_idx ON jobqueue (${index})`,
    `CREATE FUNCTION jobqueue_update_timestamp() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN NEW.updated = NOW(); RETURN NEW; END $$`,
    `CREATE TRIGGER jobqueue_updated_timestamp BEFORE UPDATE ON jobqueue
     FOR EACH ROW EXECUTE FUNCTION jobqueue_update_timestamp()`,
  ];
}

/** Where piri-db's tables are made: a SQLite data dir, or a Postgres database. */
export type PiriDbTablesAt = { readonly backend: 'sqlite'; readonly dataDir: string } | { readonly backend: 'postgres'; readonly databaseUrl: string };

/**
 * Makes the tables exactly as an installation has them: opens piri-db once, which applies its migrations, and
 * closes it again, so a raw peer never carries a copy of piri-db's DDL that could drift from it.
 */
export async function createPiriDbTables(at: PiriDbTablesAt): Promise<void> {
  // On Postgres the data dir only holds the backend marker, so a throwaway one does.
  const dataDir = at.backend === 'sqlite' ? at.dataDir : await mkdtemp(join(tmpdir(), 'piri-db-bench-raw-'));
  try {
    const config =
      at.backend === 'sqlite'
        ? loadConfig({ env: {}, dataDir })
        : loadConfig({ env: {}, dataDir, database: { type: 'postgres', postgres: { url: at.databaseUrl } } });
    await (await openDatabases(config)).close();
  } finally {
    if (at.backend === 'postgres') await rm(dataDir, { recursive: true, force: true });
  }
}
