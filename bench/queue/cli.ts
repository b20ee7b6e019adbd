/**
 * The queue bench alone, printed instead of written to docs: `pnpm exec tsx bench/queue/cli.ts`.
 * BENCH_N jobs per round (default 20000), BENCH_REPS runs of the compared Postgres systems (default 2; SQLite systems
 * run once more), BENCH_SYSTEMS comma-separated key fragments (raw-sqlite, raw-piri-order, piri-single, piri-runtime,
 * plainjob, raw-postgres, pg-boss, graphile-worker), BENCH_TUNING a JSON object of runtime options for the "tuned" runtime
 * rows instead of DEFAULT_RUNTIME_TUNING, e.g. '{"prefetch":24}', or 'null' for the runtime's defaults only.
 */
import { startBenchPostgres } from '../support/postgres.ts';
import type { RuntimeTuning } from './systems.ts';
import { benchQueue, queueMarkdown } from './run-queue-bench.ts';

const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const only = (process.env.BENCH_SYSTEMS ?? '').split(',').map((part) => part.trim()).filter((part) => part !== '');
const tuning = process.env.BENCH_TUNING ? (JSON.parse(process.env.BENCH_TUNING) as RuntimeTuning | null) : undefined;
const pg = await startBenchPostgres();
try {
  console.log(queueMarkdown(await benchQueue(pg, { jobs: number('BENCH_N'), repetitions: number('BENCH_REPS'), only, runtimeTuning: tuning })));
} finally {
  await pg.stop();
}
