/**
 * The runtime drain bench alone, printed instead of written to docs: `pnpm exec tsx bench/queue/drain-cli.ts`.
 * BENCH_N jobs per slice (default 20000), BENCH_SLICES slices per system and worker count (default 8),
 * BENCH_TREES other checkouts measured beside this one, as `label=path` separated by commas (each with node_modules),
 * BENCH_SVG a file to write the chart to, BENCH_GRAPHILE_DEFAULTS=0 to leave graphile-worker's defaults out (its slices
 * take ten times as long), BENCH_DOC=1 to write the section `drain` of docs/benchmarks.md and its chart
 * docs/benchmarks/runtime-drain.svg (as `pnpm bench` does, here with the trees beside it).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeSection } from '../support/markdown-section.ts';
import { startBenchPostgres } from '../support/postgres.ts';
import { benchRuntimeDrain, DRAIN_CHART, runtimeDrainMarkdown, runtimeDrainSvg } from './runtime-drain.ts';

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
  const graphileDefaults = process.env.BENCH_GRAPHILE_DEFAULTS !== '0';
  const result = await benchRuntimeDrain(pg, { jobs: number('BENCH_N'), slices: number('BENCH_SLICES'), trees, graphileDefaults });
  const text = runtimeDrainMarkdown(result, process.env.BENCH_DOC === '1' ? DRAIN_CHART : undefined);
  console.log(text);
  if (process.env.BENCH_SVG) writeFileSync(process.env.BENCH_SVG, runtimeDrainSvg(result));
  if (process.env.BENCH_DOC === '1') {
    const doc = fileURLToPath(new URL('../../docs/benchmarks.md', import.meta.url));
    const chart = fileURLToPath(new URL(`../../docs/${DRAIN_CHART}`, import.meta.url));
    mkdirSync(dirname(chart), { recursive: true });
    writeFileSync(chart, runtimeDrainSvg(result));
    writeSection(doc, 'drain', text);
  }
} finally {
  await pg.stop();
}
