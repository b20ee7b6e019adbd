/**
 * piri-db as queue systems of the workload harness (bench/support/workload.ts), on a real installation opened with
 * openDatabases (migrations, Piri's pragmas, the shared Postgres pool), over the replicator's 'replication' queue
 * (Piri's settings: 10 deliveries, 5 s window, the same as the raw peers run with):
 *
 * - single calls: the QueueStore as an application would call it, one message per call: send / sendMany, and each
 *   consumer loops receive() -> handle -> delete(id), ending at its first empty receive (as the raw peers do).
 *   Bodies are the payload bytes, as the raw peers store them.
 * - runtime: the worker runtime (createJobQueue) with maxWorkers = consumers: batch claims, renewed claims, group-
 *   commit deletes. Bodies are Piri's envelopes, as the runtime reads them; sends go through the store (what
 *   JobQueue.enqueue does once started), and only the drains are reported.
 *
 * On Postgres the pool is 10 connections, as the raw postgres-js peer's, so that 8 consumers each get their own.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobQueueLogger, type JobQueueOptions } from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import { countHandled, type QueueLocation, type QueueSystem } from '../support/workload.ts';

const QUEUE = 'replication';
const JOB = 'transfer-task';
export const POSTGRES_POOL = 10;

/**
 * Where a piri-db system keeps its installation: a temp data dir, plus a Postgres database for that backend, and
 * whether its statements are named prepared statements there (database.postgres.prepared_statements, default on).
 */
export type PiriLocation = QueueLocation & { readonly preparedStatements?: boolean };

/** The tunables of the runtime a bench passes as JobQueueOptions (maxWorkers is the drain's consumer count). */
export type RuntimeTuning = Pick<JobQueueOptions, 'prefetch' | 'completionBatchSize' | 'completionDelayMs' | 'pollIntervalMs'>;

interface Installation {
  readonly dbs: Databases;
  readonly queue: QueueStore;
}

/** Opens a fresh installation in setup() and removes it in teardown(); the parts common to both systems. */
function installation(location: PiriLocation) {
  let dataDir = '';
  let opened: Installation | undefined;
  return {
    async open(): Promise<void> {
      dataDir = await mkdtemp(join(tmpdir(), 'piri-db-bench-queue-'));
      const config: Config =
        location.backend === 'sqlite'
          ? loadConfig({ env: {}, dataDir })
          : loadConfig({
              env: {},
              dataDir,
              database: {
                type: 'postgres',
                postgres: {
                  url: location.databaseUrl,
                  maxOpenConns: POSTGRES_POOL,
                  maxIdleConns: POSTGRES_POOL,
                  preparedStatements: location.preparedStatements ?? true,
                },
              },
            });
      const dbs = await openDatabases(config);
      opened = { dbs, queue: dbs.replicator.queue(QUEUE) };
    },
    get(): Installation {
      if (opened === undefined) throw new Error('piri-db bench system: setup() has not run');
      return opened;
    },
    async remaining(): Promise<number> {
      const { ready, inFlight, delayed, exhausted } = await this.get().queue.stats();
      return ready + inFlight + delayed + exhausted;
    },
    async close(): Promise<void> {
      await opened?.dbs.close();
      opened = undefined;
      if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export function piriSingleCalls(location: PiriLocation): QueueSystem {
  const install = installation(location);
  return {
    ...location,
    name: `piri-db queue, single calls [${location.backend}]`,
    setup: () => install.open(),
    async sendOne(payload) {
      await install.get().queue.send(Buffer.from(payload));
    },
    async sendBatch(payloads) {
      await install.get().queue.sendMany(payloads.map((payload) => Buffer.from(payload)));
    },
    async drain({ workers, handle }) {
      const { queue } = install.get();
      // Each consumer ends at its first empty receive: a message another consumer holds is that consumer's to delete.
      const consume = async () => {
        for (let message = await queue.receive(); message !== undefined; message = await queue.receive()) {
          await handle(message.body.toString());
          await queue.delete(message.id);
        }
      };
      await Promise.all(Array.from({ length: workers }, consume));
    },
    remaining: () => install.remaining(),
    teardown: () => install.close(),
  };
}

export function piriRuntime(location: PiriLocation, tuning: RuntimeTuning = {}, label = ''): QueueSystem {
  const install = installation(location);
  return {
    ...location,
    name: `piri-db runtime${label === '' ? '' : ` (${label})`} [${location.backend}]`,
    setup: () => install.open(),
    async sendOne(payload) {
      await install.get().queue.send(encode(JOB, Buffer.from(payload)));
    },
    async sendBatch(payloads) {
      await install.get().queue.sendMany(payloads.map((payload) => encode(JOB, Buffer.from(payload))));
    },
    async drain(request) {
      const errors: string[] = [];
      // Any warning or error (a failed claim, renewal or delete) fails the run instead of hiding in a log.
      const logger: JobQueueLogger = {
        warn: (message, fields) => errors.push(`warn: ${message} ${JSON.stringify(fields)}`),
        error: (message, fields) => errors.push(`error: ${message} ${JSON.stringify(fields)}`),
      };
      const { handle, allHandled } = countHandled(request);
      const jobs = createJobQueue(install.get().queue, { ...tuning, maxWorkers: request.workers, logger });
      jobs.register(JOB, (payload) => handle(payload.toString()));
      jobs.start();
      try {
        await allHandled;
      } finally {
        // stop() returns once every batched delete has committed.
        await jobs.stop();
      }
      if (errors.length > 0) throw new Error(`piri-db runtime logged ${errors.length} problem(s): ${errors.slice(0, 3).join('; ')}`);
    },
    remaining: () => install.remaining(),
    teardown: () => install.close(),
  };
}
