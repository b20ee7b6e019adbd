/**
 * PostgreSQL claims commit without waiting for their WAL flush (synchronous_commit off, for the claim's transaction
 * only): a claim lost in a server crash makes its job deliverable again, which at-least-once allows, and it takes a
 * disk flush off an idle queue's path from send to handler. Shown on one connection with the claim run inside an
 * open transaction: the setting is off there, and back on once the transaction ends, so nothing leaks into the
 * session (a transaction pooler hands that connection to someone else next). SQLite has no per-transaction flush to
 * skip: its WAL runs with synchronous = NORMAL.
 */
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/queue/envelope.ts';
import { dedupQueueSql, plainQueueSql } from '../../src/queue/sql/postgres.ts';
import type { PostgresStoreConnection } from '../../src/backend/types.ts';
import { freshName, useInstallation } from '../support/queues.ts';

describe('claims on PostgreSQL', () => {
  const env = useInstallation('postgres');

  /** The store's queue statements on a pool of one connection, so every statement shares one session. */
  async function oneSession<T>(store: 'replicator' | 'aggregator', body: (sql: postgres.Sql, conn: PostgresStoreConnection) => Promise<T>) {
    const connection = env.dbs[store].connection;
    if (connection.dialect !== 'postgres' || env.config.database.type !== 'postgres') throw new Error('postgres only');
    const sql = postgres(env.config.database.postgres.url, { max: 1, onnotice: () => {} });
    try {
      return await body(sql, { ...connection, client: sql });
    } finally {
      await sql.end();
    }
  }
  const setting = async (sql: postgres.Sql) => (await sql`SHOW synchronous_commit`)[0]!.synchronous_commit;
  const now = Date.now();

  it.each([1, 5])('a plain claim of %i turns synchronous_commit off for its own transaction only', async (limit) => {
    const queue = freshName('claim');
    await env.dbs.replicator.queue(queue).send(encode('job', Buffer.from('x')));
    await oneSession('replicator', async (sql, connection) => {
      const q = plainQueueSql(connection, () => '');
      expect(await setting(sql)).toBe('on');
      await sql.unsafe('BEGIN');
      const claimed = await q.claim({ queue, now, visibleAt: now + 60_000, maxDeliveries: 5, limit });
      expect(claimed).toHaveLength(1);
      expect(await setting(sql)).toBe('off');
      await sql.unsafe('COMMIT');
      expect(await setting(sql)).toBe('on');
    });
  });

  it('a dedup claim does the same', async () => {
    const queue = freshName('claim');
    await env.dbs.aggregator.dedupQueue(queue).send(encode('job', Buffer.from('x')));
    await oneSession('aggregator', async (sql, connection) => {
      const q = dedupQueueSql(connection, () => '');
      await sql.unsafe('BEGIN');
      const nowS = Math.floor(now / 1000);
      expect(await q.claim({ queue, nowS, visibleAtS: nowS + 60, maxDeliveries: 5, limit: 5 })).toHaveLength(1);
      expect(await setting(sql)).toBe('off');
      await sql.unsafe('COMMIT');
      expect(await setting(sql)).toBe('on');
    });
  });
});
