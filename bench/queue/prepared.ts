/**
 * What `database.postgres.prepared_statements = false` costs on PostgreSQL: the setting for a transaction-mode
 * pooler that cannot carry named prepared statements (docs/queues.md, Poolers). piri-db's queue with single calls
 * and its runtime, each on a fresh database, with prepared statements on and off, in alternating runs of the same
 * process (ON OFF OFF ON ...), so that a drift of the machine weighs on both alike. The ratio is off / on.
 */
import { type Phase, type QueueSystem, runWorkload } from '../support/workload.ts';
import type { BenchPostgres } from '../support/postgres.ts';
import { DEFAULT_RUNTIME_TUNING } from './run-queue-bench.ts';
import { type PiriLocation, piriRuntime, piriSingleCalls } from './systems.ts';

const RUNS_PER_SIDE = 4;
const SYSTEMS: readonly { label: string; make: (location: PiriLocation) => QueueSystem; phases: Phase[] }[] = [
  { label: 'queue, single calls', make: (location) => piriSingleCalls(location), phases: ['send one at a time', 'drain with 8 workers'] },
  { label: 'runtime', make: (location) => piriRuntime(location, DEFAULT_RUNTIME_TUNING), phases: ['drain with 1 worker', 'drain with 8 workers'] },
];

export interface PreparedRow {
  readonly system: string;
  readonly phase: Phase;
  /** Median jobs/s over the runs of each side. */
  readonly on: number;
  readonly off: number;
}

export async function benchPrepared(server: BenchPostgres, jobs = 4_000): Promise<PreparedRow[]> {
  const rates = new Map<string, { on: number[]; off: number[] }>();
  const order = Array.from({ length: RUNS_PER_SIDE }, (_, i) => (i % 2 === 0 ? [true, false] : [false, true])).flat();
  for (const [run, prepared] of order.entries()) {
    for (const { label, make, phases } of SYSTEMS) {
      const databaseUrl = await server.createDatabase(`prepared_${run}_${prepared ? 'on' : 'off'}`);
      const location = { backend: 'postgres' as const, databaseUrl, preparedStatements: prepared };
      const rows = await runWorkload(make(location), { jobs, sendOneJobs: Math.min(jobs, 1_000), batchSize: 500, report: phases });
      for (const row of rows) {
        const key = `${label}\t${row.phase}`;
        const entry = rates.get(key) ?? { on: [], off: [] };
        (prepared ? entry.on : entry.off).push(row.jobsPerSec);
        rates.set(key, entry);
      }
    }
  }
  return [...rates].map(([key, { on, off }]) => {
    const [system, phase] = key.split('\t') as [string, Phase];
    return { system, phase, on: median(on), off: median(off) };
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function preparedMarkdown(rows: readonly PreparedRow[]): string {
  return [
    '## PostgreSQL: prepared statements on and off',
    '',
    'What `database.postgres.prepared_statements = false` (for a pooler that cannot carry named prepared statements,',
    `[queues.md](queues.md#poolers-pgbouncer)) costs, straight to the server: piri-db's own rows, ${RUNS_PER_SIDE} runs of each`,
    'side alternating in one process (medians, jobs/s); read the ratio.',
    '',
    '| piri-db | phase | prepared | unnamed | unnamed / prepared |',
    '|---|---|--:|--:|--:|',
    ...rows.map((r) => `| ${r.system} | ${r.phase} | ${Math.round(r.on)} | ${Math.round(r.off)} | ${(r.off / r.on).toFixed(2)}x |`),
  ].join('\n');
}
