/**
 * The runtime drain bench alone, printed instead of written to docs: `pnpm exec tsx bench/queue/drain-cli.ts`.
 * BENCH_N jobs per slice (default 20000), BENCH_SLICES slices per system and worker count (default 8),
 * BENCH_TREES other checkouts measured beside this one, as `label=path` separated by commas (each with node_modules),
 * BENCH_SVG a file to write the chart to.
 */
import { writeFileSync } from 'node:fs';
import { startBenchPostgres } from '../support/postgres.ts';
import { benchRuntimeDrain, runtimeDrainMarkdown, runtimeDrainSvg } from './runtime-drain.ts';

const number = (name: string) => (process.env[name] ? Number(process.env[name]) : undefined);
const trees = (process.env.BENCH_TREES ?? '')
  .split(',')
  .filter((entry) => entry.trim() !== '')
  .map((entry) => {
    const [label, path] = entry.split('=');
    if (!label || !path) throw new Error(`BENCH_TREES entries are label=path, got "${entry}"`);
    return { label: label.trim(), path: path.trim() };
  });
const pg = await startBenchPostgres();
try {
  const result = await benchRuntimeDrain(pg, { jobs: number('BENCH_N'), slices: number('BENCH_SLICES'), trees });
  console.log(runtimeDrainMarkdown(result));
  if (process.env.BENCH_SVG) writeFileSync(process.env.BENCH_SVG, runtimeDrainSvg(result));
} finally {
  await pg.stop();
}
