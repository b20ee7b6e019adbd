/**
 * Boot time of openDatabases on both backends: cold (a fresh installation: create, migrate, record) and warm
 * (an installation already migrated: open, check journals and triggers). Medians over several rounds.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Config, loadConfig } from '../../src/config/load.ts';
import { openDatabases } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import type { BenchPostgres } from '../support/postgres.ts';

export interface BootResult {
  readonly backend: Dialect;
  readonly coldMs: number;
  readonly warmMs: number;
  readonly rounds: { readonly cold: number; readonly warm: number };
}

const ROUNDS = { sqlite: { cold: 10, warm: 30 }, postgres: { cold: 6, warm: 20 } } as const;

export async function benchBoot(postgres: BenchPostgres): Promise<BootResult[]> {
  const results: BootResult[] = [];
  for (const backend of ['sqlite', 'postgres'] as const) {
    const fresh = async (): Promise<Config> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'piri-db-bench-boot-'));
      if (backend === 'sqlite') return loadConfig({ env: {}, dataDir });
      const url = await postgres.createDatabase('boot');
      return loadConfig({ env: {}, dataDir, database: { type: 'postgres', postgres: { url } } });
    };
    const rounds = ROUNDS[backend];
    const cold: number[] = [];
    let last: Config | undefined;
    for (let i = 0; i < rounds.cold; i++) {
      last = await fresh();
      cold.push(await timeOpen(last));
    }
    const warm: number[] = [];
    for (let i = 0; i < rounds.warm; i++) warm.push(await timeOpen(last!));
    results.push({ backend, coldMs: median(cold), warmMs: median(warm), rounds });
  }
  return results;
}

async function timeOpen(config: Config): Promise<number> {
  const started = performance.now();
  const dbs = await openDatabases(config);
  const elapsed = performance.now() - started;
  await dbs.close();
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function bootMarkdown(results: readonly BootResult[]): string {
  const lines = [
    '## Boot: openDatabases, all four stores',
    '',
    'Cold: a fresh installation (create files or schemas, apply every migration, check triggers, record the',
    'backend). Warm: the same installation opened again (read four journals, check triggers). Median of the',
    'rounds shown; Postgres is the embedded server on loopback with durable defaults.',
    '',
    '| backend | cold ms | warm ms | cold / warm | rounds (cold, warm) |',
    '|---|--:|--:|--:|--:|',
    ...results.map(
      (r) =>
        `| ${r.backend} | ${r.coldMs.toFixed(1)} | ${r.warmMs.toFixed(1)} | ${(r.coldMs / r.warmMs).toFixed(1)}x | ${r.rounds.cold}, ${r.rounds.warm} |`,
    ),
  ];
  return lines.join('\n');
}
