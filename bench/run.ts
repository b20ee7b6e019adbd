/**
 * `pnpm bench`: every benchmark in one run on this machine, written into docs/benchmarks.md (each bench owns
 * a section). Figures are never asserted anywhere; compare ratios from the same run, not absolute times.
 *
 * Environment: BENCH_ONLY=boot,queue,batchsend,drain,dedup,prepared,wakeups,scheduler runs only the named benches (default all); BENCH_QUEUE_N (jobs per round,
 * default 20000) and BENCH_QUEUE_REPS (runs of the compared Postgres systems, default 2) shorten the queue bench
 * for a quick look. The queue bench took 622 s of a 673 s `pnpm bench` on this 2-core machine with little else
 * running (20 minutes while other test suites ran beside it); most of it is the Postgres 1-worker drains, whose
 * every job is two fsync'd commits.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { arch, cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { bootMarkdown, benchBoot } from './boot/boot.ts';
import { batchSendMarkdown, benchBatchSend } from './queue/batch-send.ts';
import { benchRuntimeDrain, DRAIN_CHART, runtimeDrainMarkdown, runtimeDrainSvg } from './queue/runtime-drain.ts';
import { benchDedupSend, dedupSendMarkdown } from './queue/dedup-send.ts';
import { benchPrepared, preparedMarkdown } from './queue/prepared.ts';
import { benchQueue, queueMarkdown } from './queue/run-queue-bench.ts';
import { benchSchedulerTasks, schedulerTasksMarkdown } from './scheduler/tasks.ts';
import { writeSection } from './support/markdown-section.ts';
import { startBenchPostgres } from './support/postgres.ts';
import { benchWakeups, wakeupsMarkdown } from './wakeups/wakeups.ts';

const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const postgres = await startBenchPostgres();
try {
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'} (${arch()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, SQLite ${sqliteVersion()}, ${new Date().toISOString().slice(0, 10)}`;
  writeSection(DOC, 'machine', `Last run: ${machine}.`);
  if (selected('boot')) {
    const text = bootMarkdown(await benchBoot(postgres));
    console.log(text);
    writeSection(DOC, 'boot', text);
  }
  if (selected('queue')) {
    const text = queueMarkdown(
      await benchQueue(postgres, { jobs: positiveInteger('BENCH_QUEUE_N'), repetitions: positiveInteger('BENCH_QUEUE_REPS') }),
    );
    console.log(text);
    writeSection(DOC, 'queue', text);
  }
  if (selected('batchsend')) {
    const text = batchSendMarkdown(await benchBatchSend(postgres));
    console.log(text);
    writeSection(DOC, 'batchsend', text);
  }
  if (selected('drain')) {
    const result = await benchRuntimeDrain(postgres);
    const text = runtimeDrainMarkdown(result, DRAIN_CHART);
    console.log(text);
    const chart = fileURLToPath(new URL(`../docs/${DRAIN_CHART}`, import.meta.url));
    mkdirSync(dirname(chart), { recursive: true });
    writeFileSync(chart, runtimeDrainSvg(result));
    writeSection(DOC, 'drain', text);
  }
  if (selected('dedup')) {
    const text = dedupSendMarkdown(await benchDedupSend(postgres));
    console.log(text);
    writeSection(DOC, 'dedup', text);
  }
  if (selected('prepared')) {
    const text = preparedMarkdown(await benchPrepared(postgres));
    console.log(text);
    writeSection(DOC, 'prepared', text);
  }
  if (selected('wakeups')) {
    const text = wakeupsMarkdown(await benchWakeups(postgres));
    console.log(text);
    writeSection(DOC, 'wakeups', text);
  }
  if (selected('scheduler')) {
    const text = schedulerTasksMarkdown(await benchSchedulerTasks(postgres));
    console.log(text);
    writeSection(DOC, 'scheduler', text);
  }
} finally {
  await postgres.stop();
}

function selected(bench: string): boolean {
  const only = (process.env.BENCH_ONLY ?? '').split(',').map((name) => name.trim()).filter((name) => name !== '');
  return only.length === 0 || only.includes(bench);
}

function positiveInteger(variable: string): number | undefined {
  const raw = process.env[variable];
  if (raw === undefined || raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value <= 0) throw new Error(`${variable} must be a positive integer, got "${raw}"`);
  return value;
}

function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return String(db.prepare('SELECT sqlite_version()').pluck().get());
  } finally {
    db.close();
  }
}
