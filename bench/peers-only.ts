/**
 * The peer queues side by side, without piri-db: `pnpm exec tsx bench/peers-only.ts`.
 * BENCH_N jobs per round (default 20000), BENCH_BATCH payloads per batch send (default 1000), BENCH_SYSTEMS a
 * comma-separated list of name fragments to run only some systems. Progress goes to stderr, the table to stdout.
 */
import os from 'node:os';
import { graphileWorker } from './peers/graphile-worker.ts';
import { pgBossFetchComplete, pgBossWork } from './peers/pg-boss.ts';
import { plainjob } from './peers/plainjob.ts';
import { rawPostgres } from './peers/raw-postgres.ts';
import { rawSqlite } from './peers/raw-sqlite.ts';
import { startBenchPostgres, type BenchPostgres } from './support/postgres.ts';
import { markdownTable } from './support/report.ts';
import { runWorkload, type Phase, type QueueSystem, type ResultRow } from './support/workload.ts';

interface Entry {
  readonly name: string;
  readonly make: (pg: BenchPostgres) => Promise<QueueSystem>;
  /** Single sends timed on fewer jobs, for systems too slow to send N one by one in reasonable time. */
  readonly sendOneJobs?: number;
  readonly report?: readonly Phase[];
}

const n = positiveInteger('BENCH_N', 20_000);
const batchSize = positiveInteger('BENCH_BATCH', 1_000);
const only = (process.env.BENCH_SYSTEMS ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');

/**
 * A single send on Postgres is one commit, so its rate is set by the commit (fsync) latency and 2,000 sends measure
 * it as well as 20,000 do, in a tenth of the time. The drains still run on N.
 */
const postgresSendOneJobs = Math.min(n, 2_000);

const ENTRIES: readonly Entry[] = [
  { name: "raw better-sqlite3, Piri's statements", make: async () => rawSqlite('piri') },
  { name: 'plainjob', make: async () => plainjob() },
  {
    name: "raw postgres-js, Piri's statements",
    make: async (pg) => rawPostgres(await pg.createDatabase('raw_postgres'), 'piri'),
    sendOneJobs: postgresSendOneJobs,
  },
  {
    name: 'pg-boss fetch',
    make: async (pg) => pgBossFetchComplete(await pg.createDatabase('pgboss_fetch')),
    sendOneJobs: postgresSendOneJobs,
  },
  {
    name: 'pg-boss work',
    make: async (pg) => pgBossWork(await pg.createDatabase('pgboss_work'), 10),
    // Its sends are pg-boss's sends, already measured on the row above.
    report: ['drain with 1 worker', 'drain with 8 workers'],
  },
  {
    name: 'graphile-worker',
    make: async (pg) => graphileWorker(await pg.createDatabase('graphile_worker')),
    sendOneJobs: postgresSendOneJobs,
  },
];

const selected = ENTRIES.filter((entry) => only.length === 0 || only.some((part) => entry.name.includes(part)));
const pg = await startBenchPostgres();
const rows: ResultRow[] = [];
try {
  for (const entry of selected) {
    const started = Date.now();
    process.stderr.write(`${entry.name}: running N=${n}... `);
    const options = { jobs: n, batchSize, sendOneJobs: entry.sendOneJobs, report: entry.report };
    rows.push(...(await runWorkload(await entry.make(pg), options)));
    process.stderr.write(`${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  }
} finally {
  await pg.stop();
}

console.log(
  `Peers, N=${n} jobs of ~100 bytes per round, batch sends of ${batchSize}, jobs/s; ` +
    `Node ${process.version}, ${os.cpus().length} cores, durable defaults. Every drain verified exactly-once.\n`,
);
console.log(markdownTable(rows, n));

function positiveInteger(variable: string, fallback: number): number {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${variable} must be a positive integer, got "${raw}"`);
  return value;
}
