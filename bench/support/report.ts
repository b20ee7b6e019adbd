/** Result rows as the markdown table the docs and reports use: one line per system, jobs/s per phase. */
import type { Phase, ResultRow } from './workload.ts';

const COLUMNS: readonly (readonly [Phase, string])[] = [
  ['send one at a time', 'send one'],
  ['send batch', 'send batch'],
  ['drain with 1 worker', 'drain 1'],
  ['drain with 8 workers', 'drain 8'],
];

/** `jobs` is the N of the run: a phase timed on fewer jobs says so in its cell. */
export function markdownTable(rows: readonly ResultRow[], jobs: number): string {
  const systems = [...new Set(rows.map((row) => row.system))];
  const lines = [
    `| system | ${COLUMNS.map(([, title]) => title).join(' | ')} |`,
    `|---|${COLUMNS.map(() => '--:').join('|')}|`,
  ];
  for (const system of systems) {
    const cells = COLUMNS.map(([phase]) => {
      const row = rows.find((candidate) => candidate.system === system && candidate.phase === phase);
      if (row === undefined) return '-';
      const rate = Math.round(row.jobsPerSec).toLocaleString('en-US');
      return row.jobs === jobs ? rate : `${rate} (N=${row.jobs.toLocaleString('en-US')})`;
    });
    lines.push(`| ${system} | ${cells.join(' | ')} |`);
  }
  return lines.join('\n');
}
