/**
 * pg-boss 12.38 with its default settings, measured two ways because its worker loop decides the result:
 * - fetch + complete: consumers call fetch() (one job) and complete() in a loop. This is the per-job cost; work()
 *   with batchSize 1 would add its ~0.5 s pause between fetches.
 * - work(), batch 10: pg-boss's own workers, `localConcurrency` = consumers, 10 jobs per fetch and one complete per
 *   batch. burstWhenBatchFull keeps a worker fetching while batches come back full; without it every worker sleeps
 *   its 2 s polling interval after each batch and a backlog drains at a few jobs per second.
 */
import { PgBoss, type Job } from 'pg-boss';
import { countHandled, type DrainRequest, type QueueSystem } from '../support/workload.ts';

const QUEUE = 'bench';

interface BenchData {
  p: string;
}

type Drain = (boss: PgBoss, request: DrainRequest) => Promise<void>;

export function pgBossFetchComplete(databaseUrl: string): QueueSystem {
  return pgBoss(databaseUrl, 'pg-boss 12.38 fetch+complete', async (boss, { workers, handle }) => {
    // A consumer ends at its first empty fetch: SKIP LOCKED hid only rows that other consumers will complete.
    const consume = async () => {
      for (;;) {
        const [job] = await boss.fetch<BenchData>(QUEUE);
        if (job === undefined) return;
        await handle(job.data.p);
        await boss.complete(QUEUE, job.id);
      }
    };
    await Promise.all(Array.from({ length: workers }, consume));
  });
}

export function pgBossWork(databaseUrl: string, batchSize: number): QueueSystem {
  return pgBoss(databaseUrl, `pg-boss 12.38 work(), batch ${batchSize}`, async (boss, request) => {
    const { handle, allHandled } = countHandled(request);
    const options = { batchSize, localConcurrency: request.workers, burstWhenBatchFull: true };
    await boss.work<BenchData>(QUEUE, options, async (jobs: Job<BenchData>[]) => {
      for (const job of jobs) await handle(job.data.p);
    });
    await allHandled;
    // wait: true returns once every worker finished its batch, so the last completes are in.
    await boss.offWork(QUEUE, { wait: true });
  });
}

function pgBoss(databaseUrl: string, name: string, drain: Drain): QueueSystem {
  const boss = new PgBoss({ connectionString: databaseUrl });
  boss.on('error', (error) => console.error(`${name}:`, error));

  return {
    name,
    backend: 'postgres',
    databaseUrl,
    async setup() {
      await boss.start();
      await boss.createQueue(QUEUE);
    },
    async sendOne(payload) {
      await boss.send(QUEUE, { p: payload } satisfies BenchData);
    },
    async sendBatch(payloads) {
      await boss.insert(QUEUE, payloads.map((p) => ({ data: { p } satisfies BenchData })));
    },
    drain: (request) => drain(boss, request),
    async remaining() {
      // Completed jobs stay in the table (deleteAfterSeconds, 7 days by default); anything else is unfinished.
      const { rows } = await boss.getDb().executeSql(
        "SELECT count(*)::int AS n FROM pgboss.job WHERE name = $1 AND state <> 'completed'",
        [QUEUE],
      );
      return (rows[0] as { n: number } | undefined)?.n ?? 0;
    },
    async teardown() {
      await boss.stop();
    },
  };
}
