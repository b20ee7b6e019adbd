/**
 * The Postgres runtime drain against graphile-worker's fastest mode: createJobQueue (maxWorkers 1 and 8, default
 * options) and graphile-worker 0.17.3 with `localQueue: { size: 500 }` and `completeJobBatchDelay: 0` (and, for
 * reference, with its defaults), in alternating
 * slices in one process (bench/support/paired.ts says why slices: whole runs drift 20-40% against each other on this
 * shared 2-core machine). Every system stays open for the whole measurement, each on its own database of one server.
 * A slice batch-sends its jobs (untimed), settles Postgres (ANALYZE, CHECKPOINT) and times one drain, checked: every
 * job handled exactly once, nothing left.
 *
 * With more than two systems the order goes forward then backward (A B C C B A ...), which is ABBA for two. Other
 * trees of piri-db can run beside this one (`trees`: a label and the path of a checkout with node_modules), so a
 * change is measured against the code before it in the same run, slice by slice.
 *
 * benchRuntimeDrain() returns the figures; runtimeDrainMarkdown() and runtimeDrainSvg() render them.
 */
import { pathToFileURL } from 'node:url';
import { join } from 'node:path';
import { GRAPHILE_BATCHED, graphileWorker } from '../peers/graphile-worker.ts';
import type { BenchPostgres } from '../support/postgres.ts';
import { barChartSvg } from '../support/svg-chart.ts';
import { type QueueSystem, sendInBatches, timedDrain } from '../support/workload.ts';
import { piriRuntime } from './systems.ts';

export interface RuntimeDrainOptions {
  /** Jobs per slice. Default 20,000 (the issue's N). */
  readonly jobs?: number;
  /** Slices per system and worker count; even keeps the forward/backward order whole. Default 8. */
  readonly slices?: number;
  /** Other checkouts of piri-db measured beside this one, e.g. the commit before a change. */
  readonly trees?: readonly { readonly label: string; readonly path: string }[];
  /** Also graphile-worker with its defaults (one get_job and one complete_job per job), in the same order. Default true. */
  readonly graphileDefaults?: boolean;
  readonly log?: (line: string) => void;
}

export interface RuntimeDrainSystem {
  readonly name: string;
  /** Jobs/s over all its slices of each worker count. */
  readonly rates: Readonly<Record<WorkerCount, number>>;
}

export type WorkerCount = 1 | 8;
const WORKERS: readonly WorkerCount[] = [1, 8];

export interface RuntimeDrainResult {
  readonly jobs: number;
  readonly slices: number;
  readonly systems: readonly RuntimeDrainSystem[];
  /** The graphile-worker row's name; ratios are against it. */
  readonly peer: string;
  /** Per system and worker count: its slice against the peer's slice of the same round, sorted. */
  readonly slicePairs: Readonly<Record<string, Readonly<Record<WorkerCount, readonly number[]>>>>;
  readonly seconds: number;
}

/** The target of issue 17: piri-db's runtime drain at least this many times graphile-worker's batched mode. */
export const DRAIN_TARGET = 1.2;
/** The chart's file, relative to docs/ (where benchmarks.md links it from). */
export const DRAIN_CHART = 'benchmarks/runtime-drain.svg';
const BATCH = 1_000;

export async function benchRuntimeDrain(server: BenchPostgres, options: RuntimeDrainOptions = {}): Promise<RuntimeDrainResult> {
  const started = Date.now();
  const jobs = options.jobs ?? 20_000;
  const slices = options.slices ?? 8;
  const log = options.log ?? ((line: string) => process.stderr.write(`${line}\n`));
  const systems: QueueSystem[] = [
    piriRuntime({ backend: 'postgres', databaseUrl: await server.createDatabase('drain_piri') }),
    graphileWorker(await server.createDatabase('drain_graphile'), 'batched'),
  ];
  if (options.graphileDefaults ?? true) systems.push(graphileWorker(await server.createDatabase('drain_graphile_defaults'), 'defaults'));
  for (const tree of options.trees ?? []) {
    const module = (await import(pathToFileURL(join(tree.path, 'bench/queue/systems.ts')).href)) as { piriRuntime: typeof piriRuntime };
    const system = module.piriRuntime({ backend: 'postgres', databaseUrl: await server.createDatabase(`drain_${tree.label}`) }, {}, tree.label);
    systems.push(system);
  }
  const peer = systems[1]!;
  const spent = new Map<QueueSystem, Record<WorkerCount, number[]>>(systems.map((system) => [system, { 1: [], 8: [] }]));
  const nextSeq = new Map<QueueSystem, number>(systems.map((system) => [system, 0]));
  const opened: QueueSystem[] = [];
  try {
    for (const system of systems) {
      await system.setup();
      opened.push(system);
    }
    const slice = async (system: QueueSystem, workers: WorkerCount, count: number): Promise<number> => {
      const first = nextSeq.get(system)!;
      nextSeq.set(system, first + count);
      await sendInBatches(system, first, first + count, BATCH);
      return timedDrain(system, { first, count, workers, stallMs: 30_000 });
    };
    // One small untimed drain each: statements prepared, code warm, pools connected.
    for (const system of systems) await slice(system, 8, 2 * BATCH);
    for (const workers of WORKERS) {
      for (let i = 0; i < slices; i++) {
        const order = i % 2 === 0 ? systems : [...systems].reverse();
        const line: string[] = [];
        for (const system of order) {
          const seconds = await slice(system, workers, jobs);
          spent.get(system)![workers].push(seconds);
          line.push(`${system.name} ${Math.round(jobs / seconds)}`);
        }
        log(`runtime drain, ${workers} worker(s), slice ${i + 1}/${slices}: ${line.join(', ')}`);
      }
    }
  } finally {
    for (const system of opened.reverse()) await system.teardown();
  }
  const rate = (seconds: readonly number[]) => (seconds.length * jobs) / seconds.reduce((sum, s) => sum + s, 0);
  const peerSpent = spent.get(peer)!;
  return {
    jobs,
    slices,
    peer: peer.name,
    systems: systems.map((system) => {
      const own = spent.get(system)!;
      return { name: system.name, rates: { 1: rate(own[1]), 8: rate(own[8]) } };
    }),
    slicePairs: Object.fromEntries(
      systems.map((system) => {
        const own = spent.get(system)!;
        const pairs = (workers: WorkerCount) => own[workers].map((s, i) => peerSpent[workers][i]! / s).sort((a, b) => a - b);
        return [system.name, { 1: pairs(1), 8: pairs(8) }];
      }),
    ),
    seconds: (Date.now() - started) / 1000,
  };
}

function spread(pairs: readonly number[]): string {
  if (pairs.length === 0) return '';
  return [pairs[0]!, pairs[Math.floor(pairs.length / 2)]!, pairs.at(-1)!].map((x) => `${x.toFixed(2)}x`).join(' / ');
}

export function runtimeDrainMarkdown(result: RuntimeDrainResult, chartFile?: string): string {
  const rate = (n: number) => Math.round(n).toLocaleString('en-US');
  const peer = result.systems.find((system) => system.name === result.peer)!;
  const lines = [
    '### Runtime drain on PostgreSQL against graphile-worker, batched',
    '',
    `createJobQueue with its default options (maxWorkers 1 and 8) against graphile-worker 0.17.3 in its documented ` +
      `fastest mode (preset \`worker: ${JSON.stringify(GRAPHILE_BATCHED)}\`) and with its defaults, ${result.slices} slices of ` +
      `${result.jobs.toLocaleString('en-US')} jobs per system and worker count, in alternating order in one process ` +
      '(bench/queue/runtime-drain.ts). Each slice batch-sends its jobs untimed, runs ANALYZE and CHECKPOINT, then times ' +
      'one drain from start() to the last delete, checked exactly-once. The ratio is of the total rates; the spread is ' +
      "the lowest, median and highest ratio of a system's slice against graphile-worker's slice of the same round.",
    '',
    ...(chartFile === undefined ? [] : [`![Runtime drain, jobs/s](${chartFile})`, '']),
    '| system | workers | jobs/s | against graphile-worker batched | spread | target |',
    '|---|--:|--:|--:|---|---|',
  ];
  for (const workers of WORKERS) {
    for (const system of result.systems) {
      const ratio = system.rates[workers] / peer.rates[workers];
      const isPeer = system.name === result.peer;
      const target = isPeer ? '' : system.name.startsWith('piri-db runtime [') ? `>= ${DRAIN_TARGET.toFixed(1)}x: ${ratio >= DRAIN_TARGET ? '**met**' : '**not met**'}` : '';
      lines.push(
        `| ${system.name} | ${workers} | ${rate(system.rates[workers])} | ${isPeer ? '1.00x' : `${ratio.toFixed(2)}x`} | ${isPeer ? '' : spread(result.slicePairs[system.name]![workers])} | ${target} |`,
      );
    }
  }
  lines.push('', `Whole drain bench: ${Math.round(result.seconds)} s.`);
  return lines.join('\n');
}

export function runtimeDrainSvg(result: RuntimeDrainResult): string {
  const peer = result.systems.find((system) => system.name === result.peer)!;
  return barChartSvg({
    title: 'PostgreSQL runtime drain: piri-db against graphile-worker, batched',
    subtitle: `jobs/s, ${result.slices} alternating slices of ${result.jobs.toLocaleString('en-US')} jobs per bar, one run on a shared 2-core machine; ratios against graphile-worker`,
    unit: 'jobs/s',
    groups: WORKERS.map((workers) => ({
      title: `drain, ${workers} worker${workers === 1 ? '' : 's'}`,
      bars: result.systems.map((system) => ({
        label: system.name.replace(' (localQueue 500, completeJobBatchDelay 0)', ''),
        value: system.rates[workers],
        note: `${(system.rates[workers] / peer.rates[workers]).toFixed(2)}x`,
      })),
    })),
  });
}
