/**
 * PostgreSQL only: a claim rewrites each claimed row (deadline, deliveries), and a drain claims a whole batch of rows
 * that were sent together and fill their pages. The plain queue's pages are kept half empty (fillfactor 50, migration
 * `queue_fillfactor`) so that every new row version fits on its own page: a heap-only (HOT) update, which adds no
 * index entries. Without it the claim moved nearly every row to another page (docs/benchmarks.md). SQLite has no such
 * thing to test: a row of a rowid table is rewritten where its key puts it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Config } from '../../src/config/load.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { freshConfig, withSql } from '../support/installations.ts';
import { freshName } from '../support/queues.ts';

const STORES_WITH_PLAIN_QUEUES = [
  ['replicator', 'replicator'],
  ['aggregator', 'aggregator'],
  ['egress_tracker', 'egressTracker'],
] as const;
const MESSAGES = 400;

describe('plain-queue claims keep rows on their pages [postgres]', () => {
  let config: Config;
  let dbs: Databases;

  beforeAll(async () => {
    config = await freshConfig('postgres');
    dbs = await openDatabases(config);
  });
  afterAll(async () => {
    await dbs.close();
  });

  for (const [store, key] of STORES_WITH_PLAIN_QUEUES) {
    it(`${store}: a batch claim of ${MESSAGES} messages sent together updates every row on its own page`, async () => {
      const queue = dbs[key].queue(freshName('hot'));
      // ~200-byte bodies, Piri's envelope size for small payloads: many rows per page.
      const ids = await queue.sendMany(Array.from({ length: MESSAGES }, (_, i) => Buffer.from(`${i}`.padEnd(200, '.'))));
      const pages = () =>
        withSql(config, async (sql) => {
          const rows = await sql.unsafe<{ id: string; page: string }[]>(
            `SELECT id, (ctid::text::point)[0]::bigint::text AS page FROM "${store}".jobqueue WHERE queue = $1`,
            [queue.name],
          );
          return new Map(rows.map((row) => [row.id, row.page]));
        });
      const before = await pages();
      expect(new Set(before.values()).size).toBeGreaterThan(1);
      expect(await queue.receiveMany(MESSAGES)).toHaveLength(MESSAGES);
      const after = await pages();
      const moved = ids.filter((id) => id === undefined || after.get(id) !== before.get(id));
      expect(moved).toEqual([]);
      const [options] = await withSql(config, (sql) =>
        sql.unsafe<{ reloptions: string[] }[]>(`SELECT reloptions FROM pg_class WHERE oid = '"${store}".jobqueue'::regclass`),
      );
      expect(options!.reloptions).toContain('fillfactor=50');
    });
  }
});
