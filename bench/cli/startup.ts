/**
 * CLI startup: the compiled CLI (what the package's bin runs) against `node -e 0`, in the same run, interleaved
 * round by round so a busy neighbour slows all three alike. Reports medians and their ratios to `node -e 0`;
 * the ratios are the figure to read, the machine being shared. Targets: --version <= 1.3x, status <= 2x.
 *
 *   pnpm bench:cli          (PIRI_BENCH_CLI_RUNS=N for more or fewer rounds; default 40)
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSection } from '../support/markdown-section.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs/benchmarks.md');
const RUNS = Number(process.env.PIRI_BENCH_CLI_RUNS ?? 40);

/** Builds the CLI as the package does (pnpm build). */
function buildCli(): string {
  tsc(['-p', 'tsconfig.build.json']);
  return join(ROOT, 'dist/src/cli/main.js');
}

function tsc(args: string[]): void {
  const result = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), ...args], { cwd: ROOT, encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`tsc ${args.join(' ')} failed:\n${result.stdout}${result.stderr}`);
}

function run(args: string[]): number {
  const started = performance.now();
  const result = spawnSync(process.execPath, args, { cwd: ROOT, encoding: 'utf8' });
  const ms = performance.now() - started;
  if (result.status !== 0) throw new Error(`node ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return ms;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const main = buildCli();
const dataDir = mkdtempSync(join(tmpdir(), 'piri-db-bench-cli-'));
try {
  run([main, 'migrate', '--data-dir', dataDir]);
  const cases = [
    { name: 'node -e 0', args: ['-e', '0'], target: undefined },
    { name: 'piri-db --version', args: [main, '--version'], target: 1.3 },
    { name: 'piri-db status (migrated SQLite)', args: [main, 'status', '--data-dir', dataDir], target: 2 },
  ];
  const times = cases.map(() => [] as number[]);
  for (const c of cases) run(c.args); // warm the file cache
  for (let round = 0; round < RUNS; round++) cases.forEach((c, i) => times[i]!.push(run(c.args)));
  const base = median(times[0]!);
  const rows = cases.map((c, i) => {
    const ratio = median(times[i]!) / base;
    const verdict = c.target === undefined ? '' : ratio <= c.target ? `<= ${c.target}x: met` : `<= ${c.target}x: missed`;
    return `| ${c.name} | ${median(times[i]!).toFixed(1)} | ${ratio.toFixed(2)}x | ${verdict} |`;
  });
  const text = [
    '## CLI startup',
    '',
    `The CLI compiled by \`pnpm build\` (tsconfig.build.json), run by node as the package's bin runs it, against \`node -e 0\`:`,
    `${RUNS} interleaved rounds in one run, medians. Read the ratios: the machine is shared, so absolute times`,
    'move from run to run.',
    '',
    '| command | median ms | ratio to node -e 0 | target |',
    '|---|--:|--:|---|',
    ...rows,
  ].join('\n');
  console.log(text);
  writeSection(DOC, 'cli-startup', text);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
