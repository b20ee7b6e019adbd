/**
 * Wake-ups on both backends: an idle worker pool whose polls are an hour apart still runs a job that is sent,
 * delayed, retried or requeued, since each of those announces itself; only the signal can wake it. On PostgreSQL
 * the sender is another Databases instance (its own pool), so the signal goes through NOTIFY and the worker's
 * LISTEN connection; a listener whose connection is terminated comes back and catches up, and one that stops
 * answering (its server process stopped) is noticed by the ping and replaced while the pool polls.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import postgres from 'postgres';
import type { Config } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobQueue, type JobQueueLogger, PermanentError } from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { waitFor } from '../faults/support/wait.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';
import { freshName } from '../support/queues.ts';

const HOUR = 3_600_000;
const JOB = 'job';

interface Idle {
  readonly queue: JobQueue;
  readonly handled: string[];
  readonly logs: string[];
}

forEachBackend('queue wake-ups', (backend) => {
  let config: Config;
  let worker: Databases;
  /** Where sends come from: on PostgreSQL another instance, so only NOTIFY can tell the worker. */
  let producer: Databases;
  const running: JobQueue[] = [];

  beforeAll(async () => {
    config = await freshConfig(backend);
    worker = await openDatabases(config);
    producer = backend === 'postgres' ? await openDatabases(config) : worker;
  });
  afterAll(async () => {
    await Promise.all(running.map((q) => q.stop().catch(() => {})));
    if (producer !== worker) await producer?.close();
    await worker?.close();
  });

  /**
   * A runtime on a fresh queue of the worker instance that has made its first claim and, on PostgreSQL, has its
   * listener up: from then on it claims again only when signalled (or in an hour).
   */
  async function idlePool(
    handler: (payload: string, delivery: number) => void = () => {},
    options: { pollIntervalMs?: number; backoffMs?: number } = {},
  ): Promise<Idle & { name: string }> {
    const name = freshName('wake');
    const store = worker.replicator.queue(name);
    let claims = 0;
    let ups = 0;
    let watch: ReturnType<QueueStore['watch']> | undefined;
    const overrides: Partial<QueueStore> = {
      receiveMany: async (limit: number) => {
        const batch = await store.receiveMany(limit);
        claims++;
        return batch;
      },
      watch: (watcher: Parameters<QueueStore['watch']>[0]) =>
        (watch = store.watch({
          ready: () => watcher.ready(),
          changed: (live: boolean, reason?: string) => {
            if (live) ups++;
            watcher.changed?.(live, reason);
          },
        })),
    };
    // The queue classes keep state in private fields: everything else is called on the store itself.
    const watched = new Proxy(store, {
      get: (target, key: keyof QueueStore) => {
        const value = overrides[key] ?? target[key];
        return typeof value === 'function' && !(key in overrides) ? value.bind(target) : value;
      },
    });
    const handled: string[] = [];
    const logs: string[] = [];
    const logger: JobQueueLogger = { warn: (message) => logs.push(message), error: (message) => logs.push(message) };
    const backoffMs = options.backoffMs ?? 200;
    const queue = createJobQueue(watched, {
      maxWorkers: 1,
      pollIntervalMs: options.pollIntervalMs ?? HOUR,
      idlePollIntervalMs: HOUR,
      backoff: { baseMs: backoffMs, factor: 1, maxMs: backoffMs, jitter: 0 },
      logger,
    });
    queue.register(JOB, (payload, context) => {
      handler(payload.toString(), context.delivery);
      handled.push(payload.toString());
    });
    queue.start();
    running.push(queue);
    // The first claim, and the catch-up claim that the listener's arrival triggers if it came after the watch: the
    // pool is asleep before the test sends.
    await waitFor('the pool to be idle with wake-ups live', () => watch?.live === true && claims >= 1 + ups);
    return { name, queue, handled, logs };
  }

  const send = (name: string, payload: string, delayMs?: number) =>
    producer.replicator.queue(name).send(encode(JOB, Buffer.from(payload)), delayMs === undefined ? undefined : { delayMs });

  it('a send wakes an idle pool', async () => {
    const pool = await idlePool();
    await send(pool.name, 'sent');
    await waitFor('the job to run', () => pool.handled.includes('sent'));
  });

  it('a delayed send wakes it once the delay has run out', async () => {
    const pool = await idlePool();
    await send(pool.name, 'delayed', 1_000);
    await waitFor('the delayed job to run', () => pool.handled.includes('delayed'));
  });

  it("a failed job's retry wakes it once the backoff has run out", async () => {
    const deliveries: number[] = [];
    const pool = await idlePool((payload, delivery) => {
      deliveries.push(delivery);
      if (delivery === 1) throw new Error(`${payload} fails once`);
    });
    await send(pool.name, 'flaky');
    await waitFor('the retry to run', () => pool.handled.includes('flaky'));
    expect(deliveries).toEqual([1, 2]);
  });

  it('a requeued dead letter wakes it', async () => {
    let fail = true;
    const pool = await idlePool(() => {
      if (fail) throw new PermanentError('not yet');
    });
    await send(pool.name, 'dead');
    const store = producer.replicator.queue(pool.name);
    await waitFor('the dead letter', async () => (await store.stats()).dead === 1);
    fail = false;
    expect(await store.requeueDead()).toBe(1);
    await waitFor('the requeued job to run', () => pool.handled.includes('dead'));
  });

  if (backend === 'postgres') {
    const listenerPid = async (sql: postgres.Sql) => {
      const database = new URL(config.database.type === 'postgres' ? config.database.postgres.url : '').pathname.slice(1);
      const rows = await sql<{ pid: number }[]>`
        SELECT pid FROM pg_stat_activity WHERE datname = ${database} AND application_name = 'piri-db listener'`;
      return rows.length === 1 ? rows[0]!.pid : undefined;
    };

    describe('the listener', () => {
      let admin: postgres.Sql;
      beforeAll(() => {
        admin = postgres(config.database.type === 'postgres' ? config.database.postgres.url : '', { max: 1, onnotice: () => {} });
      });
      afterAll(() => admin?.end());

      it('comes back after its connection is terminated, and a job sent meanwhile runs', async () => {
        const pool = await idlePool();
        const pid = await waitFor('one listener', () => listenerPid(admin));
        await admin`SELECT pg_terminate_backend(${pid})`;
        await send(pool.name, 'during');
        await waitFor('the job sent while the listener was away to run', () => pool.handled.includes('during'));
        await waitFor('a new listener', async () => ((await listenerPid(admin)) ?? pid) !== pid);
      });

      // The server's processes must be ours to signal: not with a server given by URL.
      it.skipIf(process.env.PIRI_DB_TEST_POSTGRES_URL !== undefined)(
        'that stops answering is noticed by its ping: the pool polls meanwhile, and a new listener takes over',
        async () => {
          const pool = await idlePool(() => {}, { pollIntervalMs: 50 });
          const pid = await waitFor('one listener', () => listenerPid(admin));
          process.kill(pid, 'SIGSTOP');
          try {
            await waitFor('the lost wake-ups to be logged', () => pool.logs.some((m) => m.startsWith('queue wake-ups lost')));
            await send(pool.name, 'polled');
            await waitFor('the job to run by polling', () => pool.handled.includes('polled'));
            await waitFor('wake-ups to come back', () => pool.logs.includes('queue wake-ups are back'));
          } finally {
            process.kill(pid, 'SIGCONT');
          }
        },
        60_000,
      );
    });
  }
});
