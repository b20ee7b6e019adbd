/**
 * Wake-ups: how long a job sent to an idle queue waits before its handler starts, and what idle queues cost the
 * server. piri-db against graphile-worker 0.17.3 (LISTEN/NOTIFY, its defaults) in the same run, on the same server.
 *
 * - Latency: the producer is another process (producer.ts) on PostgreSQL, sending one job at a time SPACING_MS
 *   apart so that the consumer is idle before each; the consumer is this process with one worker. Send to handler
 *   start, from the producer's clock reading just before send() to the handler's first line. On SQLite the single
 *   writer puts producer and consumer in one process. The first WARMUP jobs are not counted.
 * - Idle load: transactions the database counts (pg_stat_database) while one process runs its queues with nothing
 *   to do: piri-db the node's five queues with their default options; graphile-worker one runner, which serves every
 *   task. Counted over IDLE_WINDOW_MS after IDLE_SETTLE_MS, so the start-up claims and sweeps are not in it.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Logger, run, type SharedOptions } from 'graphile-worker';
import postgres from 'postgres';
import { type Config, loadConfig } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobQueue, type JobQueueLogger } from '../../src/queue/runtime/index.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { STORES } from '../../src/catalog/registry.ts';
import type { BenchPostgres } from '../support/postgres.ts';

const SAMPLES = 300;
const WARMUP = 20;
const SPACING_MS = 30;
const IDLE_SETTLE_MS = 12_000;
const IDLE_WINDOW_MS = 30_000;
const PRODUCER = fileURLToPath(new URL('./producer.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LatencyRow {
  readonly system: string;
  readonly backend: 'sqlite' | 'postgres';
  readonly producer: 'another process' | 'the same process';
  readonly p50: number;
  readonly p99: number;
}

export interface IdleRow {
  readonly system: string;
  readonly what: string;
  readonly perSecond: number;
}

export interface WakeupResults {
  readonly latency: LatencyRow[];
  readonly idle: IdleRow[];
}

const quiet: JobQueueLogger = { warn: () => {}, error: (message) => console.error(`piri-db: ${message}`) };
const graphileQuiet = new Logger(() => (level, message) => {
  const severity: string = level;
  if (severity === 'error') console.error(`graphile-worker: ${message}`);
});
const now = () => performance.timeOrigin + performance.now();

export async function benchWakeups(server: BenchPostgres): Promise<WakeupResults> {
  const dataDir = await mkdtemp(join(tmpdir(), 'piri-bench-wake-'));
  try {
    const sqlite = loadConfig({ env: {}, dataDir: join(dataDir, 'sqlite') });
    const pg = (url: string) => loadConfig({ env: {}, dataDir: join(dataDir, 'pg'), database: { type: 'postgres', postgres: { url } } });
    const piriUrl = await server.createDatabase('wake_piri');
    const graphileUrl = await server.createDatabase('wake_graphile');
    const latency = [
      await piriLatency(sqlite),
      await piriLatency(pg(piriUrl)),
      await graphileLatency(pg(graphileUrl)),
    ];
    const idle = [await piriIdle(pg(await server.createDatabase('idle_piri'))), await graphileIdle(await server.createDatabase('idle_graphile'))];
    return { latency, idle };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function piriLatency(config: Config): Promise<LatencyRow> {
  const dbs = await openDatabases(config);
  const latencies: number[] = [];
  let runtime: JobQueue | undefined;
  try {
    const store = dbs.replicator.queue('bench-wake');
    runtime = createJobQueue(store, { maxWorkers: 1, logger: quiet });
    runtime.register('bench', (payload) => {
      latencies.push(now() - Number(payload.toString()));
    });
    runtime.start();
    if (config.database.type === 'postgres') {
      await produce({ system: 'piri-db', config, queue: 'bench-wake', count: WARMUP + SAMPLES, spacingMs: SPACING_MS });
    } else {
      for (let i = 0; i < WARMUP + SAMPLES; i++) {
        await sleep(SPACING_MS);
        await store.send(encode('bench', Buffer.from(String(now()))));
      }
    }
    await until(() => latencies.length >= WARMUP + SAMPLES);
  } finally {
    await runtime?.stop();
    await dbs.close();
  }
  const backend = config.database.type;
  return { system: 'piri-db', backend, producer: backend === 'postgres' ? 'another process' : 'the same process', ...percentiles(latencies.slice(WARMUP)) };
}

async function graphileLatency(config: Config): Promise<LatencyRow> {
  if (config.database.type !== 'postgres') throw new Error('graphile-worker runs on PostgreSQL');
  const latencies: number[] = [];
  const pool = graphilePool(config.database.postgres.url);
  const runner = await run({
    pgPool: pool,
    concurrency: 1,
    noHandleSignals: true,
    logger: graphileQuiet,
    taskList: { bench: (payload) => void latencies.push(now() - Number((payload as { t: string }).t)) },
  });
  try {
    await produce({ system: 'graphile-worker', config, queue: 'bench', count: WARMUP + SAMPLES, spacingMs: SPACING_MS });
    await until(() => latencies.length >= WARMUP + SAMPLES);
  } finally {
    await runner.stop();
    await pool.end();
  }
  return { system: 'graphile-worker 0.17.3', backend: 'postgres', producer: 'another process', ...percentiles(latencies.slice(WARMUP)) };
}

async function piriIdle(config: Config): Promise<IdleRow> {
  const dbs = await openDatabases(config);
  const runtimes: JobQueue[] = [];
  try {
    for (const definition of STORES) {
      const store = dbs.stores.find((s) => s.name === definition.name)!;
      for (const queue of definition.queues) {
        const runtime = createJobQueue(queue.kind === 'plain' ? store.queue(queue.name) : store.dedupQueue(queue.name), { logger: quiet });
        for (const job of queue.jobNames) runtime.register(job, () => {});
        runtime.start();
        runtimes.push(runtime);
      }
    }
    const perSecond = await transactionsPerSecond(config.database.type === 'postgres' ? config.database.postgres.url : '');
    return { system: 'piri-db', what: `the node's ${runtimes.length} queues, one process`, perSecond };
  } finally {
    await Promise.all(runtimes.map((r) => r.stop()));
    await dbs.close();
  }
}

async function graphileIdle(url: string): Promise<IdleRow> {
  const pool = graphilePool(url);
  const runner = await run({ pgPool: pool, concurrency: 1, noHandleSignals: true, logger: graphileQuiet, taskList: { bench: () => {} } });
  try {
    return { system: 'graphile-worker 0.17.3', what: 'one runner (every task), one process', perSecond: await transactionsPerSecond(url) };
  } finally {
    await runner.stop();
    await pool.end();
  }
}

/** Commits and rollbacks of the database over IDLE_WINDOW_MS, less the two reads that measure them. */
async function transactionsPerSecond(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const count = async () => {
      const [row] = await sql<[{ n: string }]>`
        SELECT xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()`;
      return Number(row.n);
    };
    await sleep(IDLE_SETTLE_MS);
    const before = await count();
    await sleep(IDLE_WINDOW_MS);
    const after = await count();
    return Math.max(0, after - before - 1) / (IDLE_WINDOW_MS / 1000);
  } finally {
    await sql.end();
  }
}

function produce(args: Record<string, unknown>): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', PRODUCER, JSON.stringify(args)], { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`producer exited with ${code}`))));
  });
}

type Pool = NonNullable<SharedOptions['pgPool']>;

/** graphile-worker's `pg`, from its own dependencies (piri-db does not depend on it); bench/peers says why a pool. */
function graphilePool(connectionString: string): Pool & { end(): Promise<void> } {
  const { Pool: PgPool } = createRequire(import.meta.resolve('graphile-worker'))('pg') as {
    Pool: new (options: { connectionString: string; max: number }) => Pool & { end(): Promise<void> };
  };
  const pool = new PgPool({ connectionString, max: 10 });
  pool.on('error', () => {});
  return pool;
}

async function until(done: () => boolean): Promise<void> {
  while (!done()) await sleep(10);
}

function percentiles(samples: number[]): { p50: number; p99: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)]!;
  return { p50: at(0.5), p99: at(0.99) };
}

export function wakeupsMarkdown({ latency, idle }: WakeupResults): string {
  const ms = (n: number) => n.toFixed(2);
  return [
    '## Wake-ups: idle-queue latency and idle load',
    '',
    `A job sent to an idle queue, one worker: time from just before send() to the handler's first line, ${SAMPLES} jobs`,
    `sent ${SPACING_MS} ms apart (the first ${WARMUP} not counted). On PostgreSQL the producer is another process; on`,
    "SQLite the single writer puts it in the consumer's. graphile-worker 0.17.3 with its defaults, same server, same run.",
    '',
    '| system | backend | producer | p50, ms | p99, ms |',
    '|---|---|---|--:|--:|',
    ...latency.map((r) => `| ${r.system} | ${r.backend} | ${r.producer} | ${ms(r.p50)} | ${ms(r.p99)} |`),
    '',
    `Idle load: transactions per second the database counted (pg_stat_database) over ${IDLE_WINDOW_MS / 1000} s, while`,
    'the queues had nothing to do, after the start-up claims and sweeps.',
    '',
    '| system | what runs | transactions/s |',
    '|---|---|--:|',
    ...idle.map((r) => `| ${r.system} | ${r.what} | ${r.perSecond.toFixed(2)} |`),
  ].join('\n');
}
