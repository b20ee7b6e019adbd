/**
 * The queue bench: piri-db (single calls and the worker runtime) against the raw drivers running its statements
 * and the peer queues, N jobs of ~100 bytes, every system in ONE run on this machine. Systems are repeated
 * interleaved (all systems once, then all again) and reported as the median per phase. The targets are ratios
 * of two systems from the same run: absolute jobs/s move with the machine's load, ratios much less. The single-call
 * targets (piri-db against the raw driver, the closest race) are measured once more in paired slices.
 *
 * benchQueue() runs it and returns the figures; queueMarkdown() renders the docs/benchmarks.md section.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import postgres from 'postgres';
import { graphileWorker } from '../peers/graphile-worker.ts';
import { pgBossFetchComplete, pgBossWork } from '../peers/pg-boss.ts';
import { plainjob } from '../peers/plainjob.ts';
import { rawPostgres } from '../peers/raw-postgres.ts';
import { rawSqlite } from '../peers/raw-sqlite.ts';
import { measurePaired, type PairedResult } from '../support/paired.ts';
import type { BenchPostgres } from '../support/postgres.ts';
import { markdownTable } from '../support/report.ts';
import { runWorkload, type Phase, type QueueSystem, type ResultRow } from '../support/workload.ts';
import { piriRuntime, piriSingleCalls, POSTGRES_POOL, type RuntimeTuning } from './systems.ts';

export interface QueueBenchOptions {
  /** N, jobs per round. Default 20,000. */
  readonly jobs?: number;
  /** Payloads per batch send. Default 1,000. */
  readonly batchSize?: number;
  /** Single sends timed on Postgres (each is one fsync'd commit, so fewer measure the rate as well). Default 2,000. */
  readonly postgresSendOneJobs?: number;
  /**
   * Runs of each Postgres system that a target compares. Default 2. SQLite systems, which take seconds, run once
   * more (a true median of 3 by default); peers that no target compares (pg-boss fetch+complete, graphile-worker's
   * defaults) run once.
   */
  readonly repetitions?: number;
  /** Key fragments: run only the systems whose key contains one (ratios missing a side are shown as not run). */
  readonly only?: readonly string[];
  /**
   * Runtime options for the "tuned" runtime rows, run beside the rows with the runtime's defaults (the before and
   * after of the tuning, in the same run). Default DEFAULT_RUNTIME_TUNING; null for the defaults only.
   */
  readonly runtimeTuning?: RuntimeTuning | null;
  /** Progress lines; default stderr. */
  readonly log?: (line: string) => void;
}

type Backend = 'sqlite' | 'postgres';

interface Entry {
  /** Stable key the ratios refer to. */
  readonly key: string;
  readonly backend: Backend;
  readonly make: (pg: BenchPostgres) => Promise<QueueSystem>;
  readonly sendOneJobs?: number;
  readonly report?: readonly Phase[];
  /** False for peers no target compares: they run once. */
  readonly compared: boolean;
}

interface Ratio {
  readonly target: string;
  readonly backend: Backend;
  readonly numerator: readonly [key: string, phase: Phase];
  readonly denominator: readonly [key: string, phase: Phase];
  readonly atLeast: number;
  /** Measured in alternating slices (bench/support/paired.ts) instead of from the rounds' medians. */
  readonly paired?: boolean;
}

export interface RatioResult extends Ratio {
  /** Ratio of the medians, or of the paired rates; undefined when a side did not run. */
  readonly value: number | undefined;
  /** The ratio within each run that has both sides, or of each pair of slices, for a sense of the noise. */
  readonly perRun: readonly number[];
  readonly met: boolean | undefined;
  readonly numeratorName: string;
  readonly denominatorName: string;
}

export interface KeyedRow extends ResultRow {
  readonly key: string;
}

export interface QueueBenchResult {
  readonly jobs: number;
  readonly batchSize: number;
  readonly postgresSendOneJobs: number;
  /** Runs per system name. */
  readonly runsPerSystem: Readonly<Record<string, number>>;
  readonly runtimeTuning: RuntimeTuning | undefined;
  readonly versions: Readonly<Record<string, string>>;
  /** Every run's rows. */
  readonly runs: readonly (readonly KeyedRow[])[];
  /** Median per system and phase. */
  readonly median: readonly KeyedRow[];
  readonly ratios: readonly RatioResult[];
  /**
   * Not targets: the raw driver on piri-db's statements against the raw driver on Piri's, per backend and drain, which
   * is what claiming in (created, id) order costs against Piri's created order.
   */
  readonly orderCosts: readonly { readonly backend: Backend; readonly phase: Phase; readonly value: number | undefined; readonly perRun: readonly number[] }[];
  /** Slices per system in each paired measurement, and the jobs each side was timed on per phase. */
  readonly paired:
    | { readonly slices: number; readonly jobs: Readonly<Partial<Record<Backend, Readonly<Partial<Record<Phase, number>>>>>> }
    | undefined;
  readonly seconds: number;
}

const DRAINS: readonly Phase[] = ['drain with 1 worker', 'drain with 8 workers'];

const PAIRED_PHASES: readonly Phase[] = ['send one at a time', 'send batch', 'drain with 1 worker', 'drain with 8 workers'];
/**
 * Slices per system, a multiple of 4 to keep the ABBA order whole. One slice against its pair swings from 0.6x to 1.9x
 * here (fsync latency comes in bursts), so the total's error shrinks with the number of pairs: 16 slices of N/16 jobs
 * (a fraction of a second to a few seconds each).
 */
const PAIRED_SLICES = 16;
/**
 * SQLite's paired phases take seconds, so they run on this many times N: on N alone the 1-consumer drain read 0.87x to
 * 0.95x from run to run, a spread as wide as the margin it is judged by.
 */
const SQLITE_PAIRED_FACTOR = 4;

/**
 * Claim up to maxWorkers + 56 messages per receiveMany and delete up to 500 per statement, against the defaults
 * (prefetch max(maxWorkers, 32), 100 per delete). Before the prefetch default had its floor of 32, this tuning was
 * what lifted the Postgres drains (1 worker: ~1,000 jobs/s by default, ~9,000 tuned); the row stays to show what
 * the defaults leave on the table.
 */
export const DEFAULT_RUNTIME_TUNING: RuntimeTuning = { prefetch: 56, completionBatchSize: 500 };

function entries(postgresSendOneJobs: number, tuning: RuntimeTuning | undefined): Entry[] {
  const db = (pg: BenchPostgres, name: string) => pg.createDatabase(name);
  const runtime = (backend: Backend, key: string, options: RuntimeTuning = {}, label = ''): Entry => ({
    key,
    backend,
    compared: true,
    report: DRAINS,
    make: async (pg) => piriRuntime(backend === 'sqlite' ? { backend } : { backend, databaseUrl: await db(pg, key) }, options, label),
  });
  const tunedLabel = tuning === undefined ? '' : tuningLabel(tuning);
  return [
    // Each piri-db system runs right after the system it is compared with, so drifts of the load hit both alike.
    { key: 'raw-sqlite', backend: 'sqlite', compared: true, make: async () => rawSqlite('piri-db') },
    { key: 'raw-piri-order-sqlite', backend: 'sqlite', compared: true, make: async () => rawSqlite('piri'), report: DRAINS },
    { key: 'piri-single-sqlite', backend: 'sqlite', compared: true, make: async () => piriSingleCalls({ backend: 'sqlite' }) },
    { key: 'plainjob', backend: 'sqlite', compared: true, make: async () => plainjob() },
    runtime('sqlite', 'piri-runtime-sqlite'),
    ...(tuning === undefined ? [] : [runtime('sqlite', 'piri-runtime-tuned-sqlite', tuning, tunedLabel)]),
    {
      key: 'raw-postgres',
      backend: 'postgres',
      compared: true,
      make: async (pg) => rawPostgres(await db(pg, 'raw_postgres'), 'piri-db'),
      sendOneJobs: postgresSendOneJobs,
    },
    {
      key: 'raw-piri-order-postgres',
      backend: 'postgres',
      compared: true,
      make: async (pg) => rawPostgres(await db(pg, 'raw_piri_order'), 'piri'),
      report: DRAINS,
    },
    {
      key: 'piri-single-postgres',
      backend: 'postgres',
      compared: true,
      make: async (pg) => piriSingleCalls({ backend: 'postgres', databaseUrl: await db(pg, 'piri_single') }),
      sendOneJobs: postgresSendOneJobs,
    },
    { key: 'pg-boss-work', backend: 'postgres', compared: true, make: async (pg) => pgBossWork(await db(pg, 'pgboss_work'), 10), report: DRAINS },
    runtime('postgres', 'piri-runtime-postgres'),
    ...(tuning === undefined ? [] : [runtime('postgres', 'piri-runtime-tuned-postgres', tuning, tunedLabel)]),
    {
      key: 'pg-boss-fetch',
      backend: 'postgres',
      compared: false,
      make: async (pg) => pgBossFetchComplete(await db(pg, 'pgboss_fetch')),
      sendOneJobs: postgresSendOneJobs,
    },
    {
      key: 'graphile-worker',
      backend: 'postgres',
      compared: false,
      make: async (pg) => graphileWorker(await db(pg, 'graphile_worker')),
      sendOneJobs: postgresSendOneJobs,
    },
    // Its fastest mode, which the runtime's drain targets are set against: run as often as piri-db's runtime.
    {
      key: 'graphile-worker-batched',
      backend: 'postgres',
      compared: true,
      make: async (pg) => graphileWorker(await db(pg, 'graphile_worker_batched'), 'batched'),
      report: DRAINS,
    },
  ];
}

function ratios(tuned: boolean): Ratio[] {
  const list: Ratio[] = [];
  for (const backend of ['sqlite', 'postgres'] as const) {
    const piri = `piri-single-${backend}`;
    const raw = `raw-${backend}`;
    const against = (target: string, phase: Phase): Ratio => ({ target, backend, numerator: [piri, phase], denominator: [raw, phase], atLeast: 0.9, paired: true });
    list.push(
      against('single-call send', 'send one at a time'),
      against('single-call receive + delete (drain, 1 worker)', 'drain with 1 worker'),
      against('single-call receive + delete (drain, 8 consumers)', 'drain with 8 workers'),
      against('batch send', 'send batch'),
    );
  }
  const runtimes = tuned ? ['piri-runtime', 'piri-runtime-tuned'] : ['piri-runtime'];
  for (const runtime of runtimes) {
    list.push({
      target: 'runtime drain, 8 workers, against plainjob',
      backend: 'sqlite',
      numerator: [`${runtime}-sqlite`, 'drain with 8 workers'],
      denominator: ['plainjob', 'drain with 8 workers'],
      atLeast: 2,
    });
  }
  for (const runtime of runtimes) {
    list.push({
      target: 'runtime drain, 8 workers, against pg-boss work() batch 10',
      backend: 'postgres',
      numerator: [`${runtime}-postgres`, 'drain with 8 workers'],
      denominator: ['pg-boss-work', 'drain with 8 workers'],
      atLeast: 1.2,
    });
  }
  for (const runtime of runtimes) {
    for (const [workers, phase] of [[1, 'drain with 1 worker'], [8, 'drain with 8 workers']] as const) {
      list.push({
        target: `runtime drain, ${workers} worker${workers === 1 ? '' : 's'}, against graphile-worker batched`,
        backend: 'postgres',
        numerator: [`${runtime}-postgres`, phase],
        denominator: ['graphile-worker-batched', phase],
        atLeast: 1.2,
      });
    }
  }
  return list;
}

export async function benchQueue(pg: BenchPostgres, options: QueueBenchOptions = {}): Promise<QueueBenchResult> {
  const started = Date.now();
  const jobs = options.jobs ?? 20_000;
  const batchSize = options.batchSize ?? 1_000;
  const postgresSendOneJobs = Math.min(jobs, options.postgresSendOneJobs ?? 2_000);
  const repetitions = options.repetitions ?? 2;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const only = options.only ?? [];
  const tuning = options.runtimeTuning === null ? undefined : (options.runtimeTuning ?? DEFAULT_RUNTIME_TUNING);
  const selected = entries(postgresSendOneJobs, tuning).filter(
    (entry) => only.length === 0 || only.some((part) => entry.key.includes(part)),
  );
  const runsOf = (entry: Entry) => (!entry.compared ? 1 : entry.backend === 'sqlite' ? repetitions + 1 : repetitions);
  const rounds = Math.max(0, ...selected.map(runsOf));

  const runs: KeyedRow[][] = [];
  const runsPerSystem: Record<string, number> = {};
  for (let round = 1; round <= rounds; round++) {
    const rows: KeyedRow[] = [];
    for (const entry of selected.filter((e) => round <= runsOf(e))) {
      const began = Date.now();
      const system = await entry.make(pg);
      const result = await runWorkload(system, { jobs, batchSize, sendOneJobs: entry.sendOneJobs, report: entry.report });
      rows.push(...result.map((row) => ({ ...row, key: entry.key })));
      runsPerSystem[system.name] = (runsPerSystem[system.name] ?? 0) + 1;
      const figures = result.map((row) => `${short(row.phase)} ${Math.round(row.jobsPerSec)}`).join(', ');
      log(`queue bench, round ${round}/${rounds}: ${system.name}: ${figures} (${((Date.now() - began) / 1000).toFixed(1)} s)`);
    }
    runs.push(rows);
  }

  // The single-call targets compare piri-db with the raw driver through the same statements: the closest race of the
  // bench, so measured again, paired, on fresh installations.
  const pairedResults = new Map<string, PairedResult>();
  const pairedJobs: Partial<Record<Backend, Partial<Record<Phase, number>>>> = {};
  for (const backend of ['sqlite', 'postgres'] as const) {
    const sides = [`piri-single-${backend}`, `raw-${backend}`].map((key) => selected.find((entry) => entry.key === key));
    const [piriEntry, rawEntry] = sides;
    if (piriEntry === undefined || rawEntry === undefined) continue;
    const [piri, raw] = [await piriEntry.make(pg), await rawEntry.make(pg)];
    await piri.setup();
    try {
      await raw.setup();
      try {
        for (const phase of PAIRED_PHASES) {
          const began = Date.now();
          const phaseJobs =
            backend === 'sqlite' ? jobs * SQLITE_PAIRED_FACTOR : phase === 'send one at a time' ? postgresSendOneJobs : jobs;
          const result = await measurePaired(piri, raw, phase, { jobs: phaseJobs, slices: PAIRED_SLICES, batchSize });
          pairedResults.set(`${backend}:${phase}`, result);
          pairedJobs[backend] = { ...pairedJobs[backend], [phase]: result.jobs };
          log(
            `queue bench, paired ${backend}, ${short(phase)}: ${piri.name} ${Math.round(result.rateA)}, ${raw.name} ` +
              `${Math.round(result.rateB)} (${((Date.now() - began) / 1000).toFixed(1)} s)`,
          );
        }
      } finally {
        await raw.teardown();
      }
    } finally {
      await piri.teardown();
    }
  }

  const median = medianRows(runs);
  const results = ratios(tuning !== undefined).map((ratio): RatioResult => {
    const top = rate(median, ratio.numerator);
    const bottom = rate(median, ratio.denominator);
    if (ratio.paired) {
      const paired = pairedResults.get(`${ratio.backend}:${ratio.numerator[1]}`);
      const value = paired === undefined ? undefined : paired.rateA / paired.rateB;
      return {
        ...ratio,
        value,
        perRun: paired?.slicePairs ?? [],
        met: value === undefined ? undefined : value >= ratio.atLeast,
        numeratorName: top?.system ?? ratio.numerator[0],
        denominatorName: bottom?.system ?? ratio.denominator[0],
      };
    }
    const { value, perRun } = fromMedians(median, runs, ratio.numerator, ratio.denominator);
    return {
      ...ratio,
      value,
      perRun,
      met: value === undefined ? undefined : value >= ratio.atLeast,
      numeratorName: top?.system ?? ratio.numerator[0],
      denominatorName: bottom?.system ?? ratio.denominator[0],
    };
  });

  return {
    jobs,
    batchSize,
    postgresSendOneJobs,
    runsPerSystem,
    runtimeTuning: tuning,
    versions: await versions(pg),
    runs,
    median,
    ratios: results,
    orderCosts: (['sqlite', 'postgres'] as const).flatMap((backend) =>
      DRAINS.map((phase) => ({ backend, phase, ...fromMedians(median, runs, [`raw-${backend}`, phase], [`raw-piri-order-${backend}`, phase]) })),
    ),
    paired: pairedResults.size === 0 ? undefined : { slices: PAIRED_SLICES, jobs: pairedJobs },
    seconds: (Date.now() - started) / 1000,
  };
}

function rate(rows: readonly KeyedRow[], [key, phase]: readonly [string, Phase]): KeyedRow | undefined {
  return rows.find((row) => row.key === key && row.phase === phase);
}

/** numerator / denominator of the medians (undefined when a side did not run), and within each run that has both. */
function fromMedians(
  median: readonly KeyedRow[],
  runs: readonly (readonly KeyedRow[])[],
  numerator: readonly [string, Phase],
  denominator: readonly [string, Phase],
): { value: number | undefined; perRun: number[] } {
  const top = rate(median, numerator);
  const bottom = rate(median, denominator);
  const perRun = runs.flatMap((rows) => {
    const a = rate(rows, numerator);
    const b = rate(rows, denominator);
    return a !== undefined && b !== undefined ? [a.jobsPerSec / b.jobsPerSec] : [];
  });
  return { value: top !== undefined && bottom !== undefined ? top.jobsPerSec / bottom.jobsPerSec : undefined, perRun };
}

/** The median of each (system, phase) over the runs; of two runs that is their mean. */
function medianRows(runs: readonly (readonly KeyedRow[])[]): KeyedRow[] {
  const out: KeyedRow[] = [];
  for (const row of runs.flat()) {
    if (out.some((done) => done.key === row.key && done.phase === row.phase)) continue;
    const values = runs
      .flatMap((rows) => rows.filter((other) => other.key === row.key && other.phase === row.phase))
      .map((other) => other.jobsPerSec)
      .sort((a, b) => a - b);
    const middle = values.length / 2;
    const value = values.length % 2 === 1 ? values[Math.floor(middle)]! : (values[middle - 1]! + values[middle]!) / 2;
    out.push({ ...row, jobsPerSec: value });
  }
  return out;
}

/** How the paired targets were measured, and what that changes in reading them. */
function pairedNote(result: QueueBenchResult): string[] {
  if (result.paired === undefined) return [];
  const jobs = Object.entries(result.paired.jobs)
    .map(([backend, phases]) => {
      const counts = Object.entries(phases).map(([phase, n]) => `${short(phase as Phase)} ${n.toLocaleString('en-US')}`);
      return `${backend}: ${counts.join(', ')}`;
    })
    .join('; ');
  return [
    '- **Paired slices** (the single-call targets): piri-db and the raw driver, both open on fresh installations, ' +
      `take turns in ${result.paired.slices} slices each in ABBA order (bench/support/paired.ts), timed on (${jobs}) ` +
      'jobs per side; the ratio is of the two total rates. Whole runs of one system take 10-40 s and a run drifts ' +
      '20-40% against the run beside it on this machine; slices of a second or two see the same load on both sides. ' +
      'The spread is the lowest, median and highest ratio of a slice and the slice paired with it.',
    '- **Medians of runs** (the rest): the ratio of the medians in the table above; the spread is the ratio within ' +
      'each run.',
    '',
  ];
}

function sliceSpread(ratios: readonly number[]): string {
  if (ratios.length === 0) return '';
  const sorted = [...ratios].sort((a, b) => a - b);
  const middle = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(middle)]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  return [sorted[0]!, median, sorted.at(-1)!].map((value) => `${value.toFixed(2)}x`).join(' / ');
}

function short(phase: Phase): string {
  const names: Record<Phase, string> = {
    'send one at a time': 'send one',
    'send batch': 'send batch',
    'drain with 1 worker': 'drain 1',
    'drain with 8 workers': 'drain 8',
  };
  return names[phase];
}

function tuningLabel(tuning: RuntimeTuning): string {
  return Object.entries(tuning)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

async function versions(pg: BenchPostgres): Promise<Record<string, string>> {
  const version = (name: string) => {
    try {
      return (JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
    } catch {
      return '?';
    }
  };
  const result: Record<string, string> = { Node: process.versions.node };
  for (const name of ['better-sqlite3', 'postgres', 'plainjob', 'pg-boss', 'graphile-worker']) result[name] = version(name);
  const sql = postgres(await pg.createDatabase('version'), { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql<{ server_version: string }[]>`SHOW server_version`;
    result.PostgreSQL = row?.server_version ?? '?';
  } finally {
    await sql.end();
  }
  return result;
}

export function queueMarkdown(result: QueueBenchResult): string {
  const count = (n: number) => n.toLocaleString('en-US');
  const versions = Object.entries(result.versions)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
  const byCount = new Map<number, string[]>();
  for (const [name, n] of Object.entries(result.runsPerSystem)) byCount.set(n, [...(byCount.get(n) ?? []), name]);
  const runs = [...byCount.entries()]
    .sort(([a], [b]) => b - a)
    .map(([n, names]) => `${n} run${n === 1 ? '' : 's'} of ${names.join('; ')}`)
    .join(', and ');
  const x = (value: number) => `${value.toFixed(2)}x`;
  const side = ([, phase]: readonly [string, Phase], name: string) => `${name}, ${short(phase)}`;
  const ratioLines = [
    '| target | backend | piri-db | against | ratio | measured | spread | needed | |',
    '|---|---|---|---|--:|---|---|--:|---|',
    ...result.ratios.map((r) => {
      const value = r.value === undefined ? 'not run' : x(r.value);
      const verdict = r.met === undefined ? '-' : r.met ? '**met**' : '**not met**';
      const how = r.paired ? 'paired slices' : 'medians of runs';
      const spread = r.paired ? sliceSpread(r.perRun) : r.perRun.map(x).join(', ');
      return `| ${r.target} | ${r.backend} | ${side(r.numerator, r.numeratorName)} | ${side(r.denominator, r.denominatorName)} | ${value} | ${how} | ${spread} | ${x(r.atLeast)} | ${verdict} |`;
    }),
  ];
  const tuned =
    result.runtimeTuning === undefined
      ? []
      : [
          `- The "tuned" runtime rows pass ${tuningLabel(result.runtimeTuning)} as JobQueueOptions; the other runtime rows ` +
            'use the defaults (prefetch max(maxWorkers, 32), completionBatchSize 100, completionDelayMs 2): the before and ' +
            'after of that tuning, in the same run.',
        ];
  return [
    '## Queue: piri-db against the raw drivers and peer queues',
    '',
    `N = ${count(result.jobs)} jobs of ~100 bytes per round, batch sends of ${count(result.batchSize)}, jobs/s, the median ` +
      `of each system's runs (${runs}; the median of two runs is their mean). Systems run interleaved: every system ` +
      `once, then again. ${versions}. Postgres is the embedded server on loopback with durable defaults ` +
      '(fsync and synchronous_commit on); `ANALYZE` and `CHECKPOINT` run before every timed drain. Every drain is ' +
      'checked: each job handled exactly once, nothing left in the queue.',
    '',
    `- Postgres single sends are timed on the first ${count(result.postgresSendOneJobs)} jobs of the round (each ` +
      'is one durable commit; the rest of the round is sent in batches, untimed). Drains always run on N.',
    "- piri-db queue, single calls: `store.queue('replication')` called one message at a time: `send`, `sendMany`, " +
      'and per consumer a loop of `receive()` then `delete(id)`; drains with 1 and 8 consumers. piri-db runtime: ' +
      '`createJobQueue` with maxWorkers 1 and 8 (batch claims, claims renewed, group-commit deletes); it sends through ' +
      `the store like the single calls, so only its drains are shown. On Postgres piri-db's pool is ${POSTGRES_POOL} ` +
      "connections, as the raw postgres-js peer's.",
    "- The raw drivers (bench/peers/raw-*.ts) run piri-db's own statements on the tables piri-db's migrations make, " +
      "with ids made as piri-db makes them: what the single-call targets compare with, so that their ratio is the " +
      "cost of piri-db's code alone. The \"Piri's statements\" rows run Piri's statements on Piri's table, which claim " +
      'in another order (below). pg-boss work() sends are pg-boss\'s sends, shown on the fetch+complete row.',
    ...tuned,
    '',
    markdownTable(result.median, result.jobs),
    '',
    '### Targets',
    '',
    'Ratios between systems of this run only. The machine has 2 cores and its load drifts, so absolute figures move ' +
      'from run to run: **only ratios between systems of the same run count**, never a figure compared with one from ' +
      'another run or another page.',
    '',
    ...pairedNote(result),
    ...ratioLines,
    '',
    '### Reading the figures',
    '',
    '- The raw better-sqlite3 peer on Piri\'s statements reads its `INSERT ... RETURNING id` with `all()`: with ' +
      '`get()` an autocommit send commits inside the statement reset, where SQLite skips the automatic WAL ' +
      'checkpoint, and the peer would skip the checkpoint fsyncs every other writer pays (bench/peers/raw-sqlite.ts).',
    '',
    "### What piri-db's claim order costs",
    '',
    "Not a target. piri-db claims in (created, id) order, FIFO even among messages sent in the same millisecond " +
      "(a `sendMany` batch shares one created time), off its index (queue, created, id). Piri claims in created order " +
      'off the index (queue, created), and messages sent in the same millisecond come out in any order. Both read the ' +
      "oldest visible message off the index without a sort. Here the raw driver runs each set of statements on its own " +
      "tables (medians of runs; the spread is the ratio within each run):",
    '',
    "| backend | phase | raw, piri-db's statements / raw, Piri's statements | spread |",
    '|---|---|--:|---|',
    ...result.orderCosts.map(
      (c) => `| ${c.backend} | ${short(c.phase)} | ${c.value === undefined ? 'not run' : x(c.value)} | ${c.perRun.map(x).join(', ')} |`,
    ),
    '',
    `Whole queue bench: ${Math.round(result.seconds)} s.`,
  ].join('\n');
}
