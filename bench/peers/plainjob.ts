/**
 * plainjob 0.0.14 on better-sqlite3 with its own defaults (it sets WAL, synchronous NORMAL, busy_timeout 5000 and
 * claims under BEGIN IMMEDIATE). Consumers are plainjob workers, which claim, run and mark done one job at a time.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { better, defineQueue, defineWorker, JobStatus, type Logger, type Queue } from 'plainjob';
import { countHandled, type QueueSystem } from '../support/workload.ts';

const JOB_TYPE = 'bench';

/** plainjob logs every job at debug level through its logger; keep errors, drop the rest. */
const quiet: Logger = { error: console.error, warn: console.warn, info: () => {}, debug: () => {} };

export function plainjob(): QueueSystem {
  let dir = '';
  let queue: Queue | undefined;
  const open = () => {
    if (queue === undefined) throw new Error('plainjob: setup() has not run');
    return queue;
  };

  return {
    name: 'plainjob 0.0.14',
    backend: 'sqlite',
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'piri-db-bench-plainjob-'));
      queue = defineQueue({ connection: better(new Database(join(dir, 'plainjob.db'))), logger: quiet });
    },
    async sendOne(payload) {
      open().add(JOB_TYPE, payload);
    },
    async sendBatch(payloads) {
      open().addMany(JOB_TYPE, [...payloads]);
    },
    async drain(request) {
      const { handle, allHandled } = countHandled(request);
      // plainjob's default serializer is JSON.stringify, so job.data holds the payload as a JSON string.
      const workers = Array.from({ length: request.workers }, () =>
        defineWorker(JOB_TYPE, (job) => handle(JSON.parse(job.data) as string), { queue: open(), logger: quiet }),
      );
      // start() resolves only after stop(), once its loop has marked its last job done; it rejects on a worker error.
      const loops = workers.map((worker) => worker.start());
      await Promise.race([allHandled, ...loops]);
      await Promise.all(workers.map((worker) => worker.stop()));
      await Promise.all(loops);
    },
    async remaining() {
      return open().countJobs() - open().countJobs({ status: JobStatus.Done });
    },
    async teardown() {
      queue?.close();
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    },
  };
}
