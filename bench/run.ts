/**
 * `pnpm bench`: every benchmark in one run on this machine, written into docs/benchmarks.md (each bench owns
 * a section). Figures are never asserted anywhere; compare ratios from the same run, not absolute times.
 */
import { arch, cpus, totalmem } from 'node:os';
import Database from 'better-sqlite3';
import { fileURLToPath } from 'node:url';
import { bootMarkdown, benchBoot } from './boot/boot.ts';
import { writeSection } from './support/markdown-section.ts';
import { startBenchPostgres } from './support/postgres.ts';

const DOC = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));

const postgres = await startBenchPostgres();
try {
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'} (${arch()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}, SQLite ${sqliteVersion()}, ${new Date().toISOString().slice(0, 10)}`;
  writeSection(DOC, 'machine', `Last run: ${machine}.`);
  const boot = await benchBoot(postgres);
  const text = bootMarkdown(boot);
  console.log(text);
  writeSection(DOC, 'boot', text);
} finally {
  await postgres.stop();
}

function sqliteVersion(): string {
  const db = new Database(':memory:');
  try {
    return String(db.prepare('SELECT sqlite_version()').pluck().get());
  } finally {
    db.close();
  }
}
