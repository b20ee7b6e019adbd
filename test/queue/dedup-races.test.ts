/**
 * The dedup promise under races on PostgreSQL, where senders and the completing worker are separate
 * transactions: a key whose job is done (or dead-lettered with repeats blocked) is never queued again, whatever
 * the interleaving, and overlapping batches never deadlock. SQLite runs one writer at a time, so no send can
 * interleave with a completion there; its side of each promise is covered by dedup-queue.test.ts.
 *
 * The interleavings are forced, not hoped for: a test transaction holds a lock that stops the real completion
 * statement half way (its job row deleted, its job_done row not yet written), a send of the same key starts and
 * waits on that job row, and only then is the completion let go.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/load.ts';
import { QueueError } from '../../src/errors.ts';
import { encode } from '../../src/queue/envelope.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { freshConfig, rawPostgres } from '../support/installations.ts';
import { freshName } from '../support/queues.ts';

const JOB = 'aggregate_piece';
const envelope = (payload: string) => encode(JOB, Buffer.from(payload));
const sha256 = (payload: string) => createHash('sha256').update(payload).digest();

class Rollback extends Error {}

describe('dedup queue races [postgres]', () => {
  const clock = new ManualClock();
  let config: Config;
  let dbs: Databases;
  let sql: ReturnType<typeof rawPostgres>;

  beforeAll(async () => {
    config = await freshConfig('postgres');
    if (config.database.type !== 'postgres') throw new Error('unreachable');
    sql = rawPostgres(config.database.postgres.url);
    dbs = await openDatabases(config, { clock });
  });
  afterAll(() => dbs?.close());

  /** Resolves once `n` sessions of this database wait on a lock. */
  async function waiters(n: number): Promise<void> {
    for (;;) {
      const [{ waiting }] = await sql<[{ waiting: number }]>`
        SELECT count(*)::int AS waiting FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock'`;
      if (waiting >= n) return;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /**
   * Runs `finish` (the completion or dead letter of the job for `payload` in `queue`) stopped half way, starts
   * `send` while it is, and lets it finish once the send waits on it. Returns what the send returned.
   *
   * The test's transaction inserts the key's job_done row first and keeps it uncommitted: the finishing statement
   * deletes its job row, then waits on that row's insert. The send then waits on the deleted job row. Rolling the
   * test's transaction back lets the finishing statement write its own job_done row and commit.
   */
  async function sendDuring<T>(queue: string, payload: string, finish: () => Promise<unknown>, send: () => Promise<T>): Promise<T> {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let inserted!: () => void;
    const insertTaken = new Promise<void>((resolve) => (inserted = resolve));
    const holder = sql
      .begin(async (tx) => {
        await tx`INSERT INTO aggregator.job_done (ns_id, key, status, done_s)
                 SELECT id, ${sha256(payload)}, 1, 0 FROM aggregator.job_ns WHERE queue = ${queue} AND name = ${JOB}`;
        inserted();
        await released;
        throw new Rollback();
      })
      .catch((error: unknown) => {
        if (!(error instanceof Rollback)) throw error;
      });
    await insertTaken;
    const finishing = finish();
    await waiters(1);
    const sending = send();
    await waiters(2);
    release();
    await holder;
    await finishing;
    return sending;
  }

  it('a send racing the completion of its key is skipped: the job runs once', async () => {
    const q = dbs.aggregator.dedupQueue(freshName('race-done'));
    const id = await q.send(envelope('piece'));
    expect((await q.receive())?.id).toBe(id);

    const again = await sendDuring(q.name, 'piece', () => q.delete(id!), () => q.send(envelope('piece')));

    expect(again).toBeUndefined();
    expect(await q.stats()).toMatchObject({ ready: 0, inFlight: 0, delayed: 0 });
    expect(await q.receive()).toBeUndefined();
  });

  it('a batch racing the completion of one of its keys skips that key and queues the rest', async () => {
    const q = dbs.aggregator.dedupQueue(freshName('race-done-many'));
    const id = await q.send(envelope('piece'));
    expect((await q.receive())?.id).toBe(id);

    const ids = await sendDuring(q.name, 'piece', () => q.delete(id!), () => q.sendMany([envelope('before'), envelope('piece'), envelope('after')]));

    expect(ids).toEqual([expect.stringMatching(/^\d+$/), undefined, expect.stringMatching(/^\d+$/)]);
    expect((await q.receiveMany(10)).map((m) => m.id)).toEqual([ids[0], ids[2]]);
  });

  it('a send racing a dead letter that blocks repeats is skipped', async () => {
    const q = dbs.aggregator.dedupQueue(freshName('race-dead'), { dedupe: { blockRepeatsAfterDeadLetter: true } });
    const id = await q.send(envelope('poison'));
    expect((await q.receive())?.id).toBe(id);

    const again = await sendDuring(
      q.name,
      'poison',
      () => q.deadLetter(id!, { jobName: JOB, reason: 'permanent_error', error: 'bad piece' }),
      () => q.send(envelope('poison')),
    );

    expect(again).toBeUndefined();
    expect(await q.stats()).toMatchObject({ ready: 0, dead: 1 });
  });

  it('a requeue of a dead letter racing the completion of its key drops the dead letter', async () => {
    const q = dbs.aggregator.dedupQueue(freshName('race-requeue'), { dedupe: { blockRepeatsAfterDeadLetter: false } });
    const deadId = await q.send(envelope('twice'));
    await q.receive();
    await q.deadLetter(deadId!, { jobName: JOB, reason: 'permanent_error', error: 'first try' });
    const liveId = await q.send(envelope('twice'));
    expect((await q.receive())?.id).toBe(liveId);

    const requeued = await sendDuring(q.name, 'twice', () => q.delete(liveId!), () => q.requeueDead({ ids: [deadId!] }));

    expect(requeued).toBe(1);
    expect(await q.stats()).toMatchObject({ ready: 0, inFlight: 0, dead: 0 });
  });

  it('overlapping batches sent in opposite orders do not deadlock: every key is queued once', async () => {
    const q = dbs.aggregator.dedupQueue(freshName('batches'));
    const keys = Array.from({ length: 2_000 }, (_, i) => `key-${i}`);
    for (let round = 0; round < 3; round++) {
      const bodies = keys.map((key) => envelope(`${round}:${key}`));
      const results = await Promise.all([
        q.sendMany(bodies),
        q.sendMany([...bodies].reverse()),
        q.sendMany(bodies.filter((_, i) => i % 2 === 0)),
        q.sendMany(bodies.filter((_, i) => i % 2 === 1).reverse()),
      ]);
      const queued = results.flat().filter((id) => id !== undefined);
      expect(new Set(queued).size).toBe(keys.length);
      expect(queued).toHaveLength(keys.length);
      // Keys go in sorted, but a batch's ids still follow its order: claims take a second's jobs by id.
      const firstBatch = results[0]!.filter((id) => id !== undefined).map(Number);
      expect(firstBatch).toEqual([...firstBatch].sort((a, b) => a - b));
    }
    expect((await q.stats()).ready).toBe(3 * keys.length);
  });

  it('a deadlock the server breaks by aborting the send reaches the caller as a QueueError that says to retry', async () => {
    // Batches cannot deadlock each other any more (they take their keys in one order), but a deadlock with a lock
    // the application holds still can. The test's transaction deletes a key's live row, the batch waits for it,
    // then the transaction waits for the batch. The batch's session checks for deadlocks first (the holder's
    // deadlock_timeout is longer), so the server aborts the batch.
    const q = dbs.aggregator.dedupQueue(freshName('deadlock'));
    const id = await q.send(envelope('held'));
    let sending!: Promise<unknown>;
    await sql.begin(async (tx) => {
      await tx`SET LOCAL deadlock_timeout = '30s'`;
      await tx`DELETE FROM aggregator.jobs WHERE id = ${Number(id)}`;
      sending = q.sendMany([envelope('other'), envelope('held')]).catch((error: unknown) => error);
      await waiters(1);
      await tx`LOCK TABLE aggregator.jobs IN SHARE MODE`;
    });
    const error = await sending;
    expect(error).toBeInstanceOf(QueueError);
    expect((error as QueueError).code).toBe('RETRYABLE');
    expect((error as Error).message).toMatch(/deadlock.*nothing was queued.*retry/i);
    expect((await q.stats()).ready).toBe(0);
  });
});
