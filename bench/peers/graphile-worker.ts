/**
 * graphile-worker 0.17.3 (0.18 needs Node 22), two ways:
 * - defaults: no local queue and no batched completes, so each job is one get_job and one complete_job;
 * - batched, its documented fastest mode (worker.graphile.org/docs/performance#batching): `localQueue: { size: 500 }`
 *   (the pool fetches and locks 500 jobs per query and hands them to workers from memory) and
 *   `completeJobBatchDelay: 0` (completions made in the same tick share one delete). Its locks last 4 hours and are
 *   never renewed, so a batch's jobs stay hidden that long if the process dies.
 * Consumers are a runner with `concurrency` = workers; sends go through WorkerUtils (addJob, and addJobs for batches).
 */
import { createRequire } from 'node:module';
import { setTimeout as delay } from 'node:timers/promises';
import { Logger, makeWorkerUtils, run, type SharedOptions, type WorkerUtils } from 'graphile-worker';
import { countHandled, type QueueSystem } from '../support/workload.ts';

const TASK = 'bench';

interface BenchPayload {
  p: string;
}

type Pool = NonNullable<SharedOptions['pgPool']>;

/**
 * The bench owns the pg pool instead of passing a connection string: graphile-worker's release() calls pool.end()
 * without awaiting it and drops the pool's error listener first, so stopping the server right after crashed the
 * process on an idle client's "terminating connection" error. `pg` comes from graphile-worker's own dependencies,
 * as piri-db does not depend on it.
 */
const { Pool: PgPool } = createRequire(import.meta.resolve('graphile-worker'))('pg') as {
  Pool: new (options: { connectionString: string; max: number }) => Pool;
};

/** graphile-worker logs every completed job at info level; keep warnings and errors. */
const quiet = new Logger(() => (level, message) => {
  const severity: string = level;
  if (severity === 'error' || severity === 'warning') console.error(`graphile-worker ${severity}: ${message}`);
});

/** The batched mode's settings (the preset's `worker` options). */
export const GRAPHILE_BATCHED = { localQueue: { size: 500 }, completeJobBatchDelay: 0 } as const;

export function graphileWorker(databaseUrl: string, mode: 'defaults' | 'batched' = 'defaults'): QueueSystem {
  // graphile-worker's default pool size (maxPoolSize 10), shared by WorkerUtils and the runner.
  const pgPool = new PgPool({ connectionString: databaseUrl, max: 10 });
  pgPool.on('error', (error) => quiet.error(`idle client: ${error.message}`));
  // pool.end() resolves before its clients' sockets close; teardown waits for those too, so a server stopped
  // right after does not cut connections that are still saying goodbye.
  const closed: Promise<void>[] = [];
  pgPool.on('connect', (client) => {
    client.on('error', (error) => quiet.error(`client: ${error.message}`));
    closed.push(new Promise((resolve) => client.once('end', () => resolve())));
  });
  let utils: WorkerUtils | undefined;
  const open = () => {
    if (utils === undefined) throw new Error('graphile-worker: setup() has not run');
    return utils;
  };

  return {
    name: mode === 'defaults' ? 'graphile-worker 0.17.3' : 'graphile-worker 0.17.3, batched (localQueue 500, completeJobBatchDelay 0)',
    backend: 'postgres',
    databaseUrl,
    async setup() {
      utils = await makeWorkerUtils({ pgPool, logger: quiet });
      await utils.migrate();
    },
    async sendOne(payload) {
      await open().addJob(TASK, { p: payload } satisfies BenchPayload);
    },
    async sendBatch(payloads) {
      await open().addJobs(payloads.map((p) => ({ identifier: TASK, payload: { p } satisfies BenchPayload })));
    },
    async drain(request) {
      const { handle, allHandled } = countHandled(request);
      const runner = await run({
        pgPool,
        concurrency: request.workers,
        noHandleSignals: true,
        logger: quiet,
        taskList: { [TASK]: (payload) => handle((payload as BenchPayload).p) },
        ...(mode === 'batched' ? { preset: { worker: GRAPHILE_BATCHED } } : {}),
      });
      // runner.promise rejects if the worker pool dies; stop() waits for running jobs to complete.
      await Promise.race([allHandled, runner.promise]);
      await runner.stop();
      // Without completeJobBatchDelay a worker fires complete_job without awaiting it, and stop() does not wait
      // for those queries either (with it, stop() releases the batcher, which waits): the drain is over when no pool
      // client is checked out any more.
      while (pgPool.totalCount > pgPool.idleCount || pgPool.waitingCount > 0) await delay(1);
    },
    async remaining() {
      // Completed jobs are deleted, so every row in the jobs view is waiting, locked or failed.
      const { rows } = await open().withPgClient((client) =>
        client.query<{ n: number }>('SELECT count(*)::int AS n FROM graphile_worker.jobs'),
      );
      return rows[0]?.n ?? 0;
    },
    async teardown() {
      await utils?.release();
      await pgPool.end();
      await Promise.all(closed);
    },
  };
}
