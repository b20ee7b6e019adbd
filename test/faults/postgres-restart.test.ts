/**
 * The PostgreSQL server goes away under a running worker runtime: once with a fast shutdown (SIGINT: what
 * `systemctl restart postgresql` does) and once with an immediate one (SIGQUIT: every backend dies, the next start
 * replays the WAL). The installation is opened ONCE; nothing is reopened. What must hold:
 *
 *   - the pool and the runtime recover by themselves: work continues after each restart, and the same pool reaches
 *     the new server process (its pg_postmaster_start_time changes);
 *   - what was in flight fails cleanly: the runtime logs the failed claims and writes and goes on, nothing crashes,
 *     no promise is left rejected unhandled, stop() still finishes in time;
 *   - afterwards every job was handled, the queue is empty, nothing was dead-lettered;
 *   - every duplicate is explained: a job handled twice had a delete that failed (its completion was lost), its
 *     second delivery came from a claim made after its window had closed, never while it was still open; and the
 *     duplicates stay within what could have been in flight at the restarts.
 *
 * The server is the test's own (test/faults/support/dedicated-postgres.ts): the run's shared one cannot be stopped.
 * Handled jobs are appended synchronously to a file by the handler, outside the database under test.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Sql } from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobQueue, type JobQueueLogger, type LogFields } from '../../src/queue/runtime/index.ts';
import type { QueueStats } from '../../src/queue/types.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { tempDir } from '../support/installations.ts';
import { type DedicatedPostgres, startDedicatedPostgres } from './support/dedicated-postgres.ts';
import { observed } from './support/observed-store.ts';
import { sleep, waitFor } from './support/wait.ts';

const JOBS = 3_000;
const WORKERS = 8;
const PREFETCH = 8;
const COMPLETION_BATCH = 100;
/** Short, so deliveries whose delete was lost come back soon; long enough that renewals (every 1 s) keep claims. */
const WINDOW_MS = 2_000;
/** Lost claims (committed, reply lost) use deliveries too; far more than two restarts can use up. */
const MAX_DELIVERIES = 25;
/** Each job takes a little while, so the restarts find work in progress. */
const HANDLER_MS = 5;
/** Jobs handled between two restarts: the runtime must have recovered before the next fault. */
const BETWEEN_RESTARTS = 300;
const RESTARTS = ['fast', 'immediate'] as const;

interface LogEntry {
  readonly level: 'warn' | 'error';
  readonly message: string;
  readonly fields: LogFields;
}

let server: DedicatedPostgres;

beforeAll(async () => {
  server = await startDedicatedPostgres();
}, 120_000);
afterAll(async () => {
  await server?.close();
});

const postmasterStart = async (sql: Sql) => String((await sql`SELECT pg_postmaster_start_time()::text AS t`)[0]!.t);

const empty = (stats: QueueStats | undefined) =>
  stats !== undefined && stats.ready + stats.inFlight + stats.delayed + stats.exhausted + stats.dead === 0;

describe('a PostgreSQL restart under a running worker runtime', () => {
  it(`recovers without reopening, handles all ${JOBS} jobs, and every duplicate is a lost completion`, async () => {
    const url = await server.createDatabase();
    const dir = tempDir('piri-db-fault-restart-');
    const config = loadConfig({ env: {}, dataDir: dir, database: { type: 'postgres', postgres: { url } } });
    const handledFile = join(dir, 'handled.log');

    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);

    const dbs = await openDatabases(config);
    let runtime: JobQueue | undefined;
    try {
      const sql = dbs.replicator.connection.client as Sql;
      const base = dbs.replicator.queue('replication', { visibilityTimeoutMs: WINDOW_MS, maxDeliveries: MAX_DELIVERIES });
      const sent: string[] = [];
      for (let first = 0; first < JOBS; first += 500) {
        const bodies = Array.from({ length: 500 }, (_, i) => encode('transfer-task', Buffer.from(String(first + i))));
        sent.push(...(await base.sendMany(bodies)).map((id) => id!));
      }
      expect(new Set(sent).size).toBe(JOBS);

      const logs: LogEntry[] = [];
      const logger: JobQueueLogger = {
        warn: (message, fields) => logs.push({ level: 'warn', message, fields }),
        error: (message, fields) => logs.push({ level: 'error', message, fields }),
      };
      const { store, observations } = observed(base);
      const queue = (runtime = createJobQueue(store, {
        maxWorkers: WORKERS,
        prefetch: PREFETCH,
        completionBatchSize: COMPLETION_BATCH,
        pollIntervalMs: 20,
        logger,
      }));
      const distinct = new Set<string>();
      let handled = 0;
      queue.register('transfer-task', async (_payload, context) => {
        await sleep(HANDLER_MS);
        appendFileSync(handledFile, `${context.messageId} ${context.delivery}\n`);
        handled++;
        distinct.add(context.messageId);
      });

      const startTimes = [await postmasterStart(sql)];
      const distinctAtStop: number[] = [];
      queue.start();
      for (const mode of RESTARTS) {
        const target = handled + BETWEEN_RESTARTS;
        await waitFor(`${target} handled jobs before the ${mode} restart`, () => handled >= target);
        distinctAtStop.push(distinct.size);
        const logged = logs.length;
        await server.stop(mode);
        // The outage is seen: the claiming loop, which never stops asking while jobs remain, reports a failed claim.
        await waitFor(`a failed claim logged during the ${mode} outage`, () =>
          logs.slice(logged).some((l) => l.message === 'could not claim messages, retrying in 1 s'),
        );
        await server.start();
        // The same pool reaches the new server process (postgres-js reconnects on demand; nothing here reopens it).
        startTimes.push(await waitFor(`the pool to reach the server after the ${mode} restart`, () => postmasterStart(sql).catch(() => undefined)));
      }

      await waitFor(
        'every job handled and the queue empty',
        async () => distinct.size === JOBS && empty(await base.stats().catch(() => undefined)),
        { timeoutMs: 50_000 },
      );
      // stop() drains and flushes the last deletes; it does not time out (which would throw StopTimeoutError).
      await queue.stop({ timeoutMs: 10_000 });

      // Each restart found work in progress, and each was a new server process reached through the same pool.
      for (const count of distinctAtStop) expect(count).toBeLessThan(JOBS);
      expect(new Set(startTimes).size).toBe(RESTARTS.length + 1);

      // The end state: every job handled at least once, nothing left, nothing dead.
      const handlings = readFileSync(handledFile, 'utf8')
        .trim()
        .split('\n')
        .map((line) => {
          const [id, delivery] = line.split(' ');
          return { id: id!, delivery: Number(delivery) };
        });
      expect(new Set(handlings.map((h) => h.id))).toEqual(new Set(sent));
      expect(await base.stats()).toEqual({ queue: 'replication', ready: 0, inFlight: 0, delayed: 0, exhausted: 0, dead: 0, oldestAgeMs: 0 });
      expect(await base.deadLetters()).toEqual([]);
      const [rows] = await sql`SELECT (SELECT count(*) FROM replicator.jobqueue)::int AS live, (SELECT count(*) FROM replicator.jobqueue_dead)::int AS dead`;
      expect(rows).toEqual({ live: 0, dead: 0 });

      // In flight at an outage fails cleanly: logged by the runtime (claims, and lost deletes or renewals), nothing
      // escaped as an unhandled rejection. Every error line is one the runtime writes, with the driver's reason.
      expect(unhandled).toEqual([]);
      const errors = logs.filter((l) => l.level === 'error');
      expect(errors.length).toBeGreaterThan(0);
      const known = [
        'could not claim messages, retrying in 1 s',
        'could not delete completed messages; they will be delivered again after their visibility window',
        'sweep of exhausted messages failed',
      ];
      for (const entry of errors) {
        expect(known).toContain(entry.message);
        expect(String(entry.fields.error)).not.toBe('');
      }
      expect(logs.filter((l) => l.level === 'warn').every((l) => l.message === 'could not renew the claim of a message')).toBe(true);

      // Every duplicate explained. Per job: deliveries handled in increasing order; each handling after the first
      // is preceded by a failed delete of that job (a lost completion: the only way a job that succeeded comes back);
      // and the claim that brought it back was made after the window of the previous delivery had closed, which
      // was at least (claim or last committed renewal) + WINDOW_MS.
      const byId = new Map<string, number[]>();
      for (const h of handlings) byId.set(h.id, [...(byId.get(h.id) ?? []), h.delivery]);
      let duplicates = 0;
      for (const [id, deliveries] of byId) {
        if (deliveries.length === 1) continue;
        duplicates += deliveries.length - 1;
        for (let i = 1; i < deliveries.length; i++) expect(deliveries[i]!).toBeGreaterThan(deliveries[i - 1]!);
        expect(observations.failedDeletes.get(id) ?? 0, `failed deletes of ${id}, handled ${deliveries.length} times`).toBeGreaterThanOrEqual(
          deliveries.length - 1,
        );
        const claims = observations.claims.get(id)!;
        const extended = observations.extended.get(id) ?? [];
        for (let i = 1; i < deliveries.length; i++) {
          const previous = claims.find((c) => c.delivery === deliveries[i - 1])!;
          const again = claims.find((c) => c.delivery === deliveries[i])!;
          const lastRenewal = Math.max(previous.before, ...extended.filter((t) => t >= previous.before && t < again.before));
          expect(again.after, `delivery ${deliveries[i]} of ${id} was claimed while delivery ${deliveries[i - 1]}'s window was open`).toBeGreaterThanOrEqual(
            lastRenewal + WINDOW_MS,
          );
        }
      }
      // The brief's bound: at most what could be claimed or awaiting its delete at each restart.
      expect(duplicates).toBeLessThanOrEqual((WORKERS + PREFETCH + 2 * COMPLETION_BATCH) * RESTARTS.length);
      console.info(
        `postgres-restart: ${handlings.length} handlings of ${JOBS} jobs, ${duplicates} duplicates, ` +
          `${[...observations.failedDeletes.values()].reduce((a, b) => a + b, 0)} ids in failed deletes, ` +
          `failures ${JSON.stringify(Object.fromEntries(observations.failures))}, ${errors.length} error lines`,
      );
    } finally {
      process.off('unhandledRejection', onUnhandled);
      // After a failure half way, the runtime must not outlive the test (a second stop() only rejects).
      await runtime?.stop({ timeoutMs: 1_000 }).catch(() => {});
      await dbs.close();
    }
    // A bound for a loaded machine (a server start, two restarts, crash recovery); nothing waits for a time.
  }, 120_000);
});
