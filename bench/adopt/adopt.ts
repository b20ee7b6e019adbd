/**
 * adopt on a big Piri SQLite installation: 1,000,000 queued jobs (900,000 in the replicator's plain queue with
 * timeouts in a UTC+05:00 host's local zone, as Piri writes them, so every one is rewritten; 100,000 in the
 * aggregator's dedup queue, whose table adopt rebuilds with AUTOINCREMENT), adopted with the CLI's progress display
 * on stderr. Target: under a minute. Reports each phase's time; writes its section of docs/benchmarks.md.
 *
 *   pnpm bench:adopt          (PIRI_BENCH_ADOPT_JOBS=N for another total; default 1,000,000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { sqliteStoreFile } from '../../src/backend/sqlite/file.ts';
import { progressDisplay } from '../../src/cli/progress.ts';
import { loadConfig } from '../../src/config/load.ts';
import { adoptInstallation } from '../../src/operations/adopt/index.ts';
import { STORES } from '../../src/catalog/registry.ts';
import { createPiriInstallation, envelope, goQueueTime } from '../../test/support/piri-installation.ts';
import { writeSection } from '../support/markdown-section.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const TOTAL = Number(process.env.PIRI_BENCH_ADOPT_JOBS ?? 1_000_000);
const PLAIN = Math.round(TOTAL * 0.9);
const DEDUP = TOTAL - PLAIN;

function fill(dataDir: string, now: Date): void {
  const file = (name: string) => sqliteStoreFile(dataDir, STORES.find((s) => s.name === name)!);
  const replicator = new Database(file('replicator'));
  const insertPlain = replicator.prepare(`INSERT INTO jobqueue (created, updated, queue, body, timeout) VALUES (?, ?, 'replication', ?, ?)`);
  replicator.transaction(() => {
    for (let i = 0; i < PLAIN; i++) {
      const sent = new Date(now.getTime() - (PLAIN - i));
      insertPlain.run(sent.toISOString(), sent.toISOString(), envelope('transfer-task', `{"piece":"bafy${i}","from":"https://node-7.example"}`), goQueueTime(sent));
    }
  })();
  replicator.close();
  const aggregator = new Database(file('aggregator'));
  const insertDedup = aggregator.prepare(`INSERT INTO jobs (ns_id, key, body, created_s, avail_s) VALUES (1, ?, ?, ?, ?)`);
  const seconds = Math.floor(now.getTime() / 1000);
  aggregator.transaction(() => {
    for (let i = 0; i < DEDUP; i++) {
      const key = Buffer.alloc(32);
      key.writeUInt32BE(i + 1_000);
      insertDedup.run(key, envelope('aggregate_piece', `piece-${i}`), seconds, seconds);
    }
  })();
  aggregator.close();
}

const dataDir = mkdtempSync(join(tmpdir(), 'piri-db-bench-adopt-'));
try {
  const config = loadConfig({ env: {}, dataDir });
  const now = new Date();
  let started = performance.now();
  await createPiriInstallation(config, now);
  fill(dataDir, now);
  const buildMs = performance.now() - started;
  console.error(`built a Piri installation with ${TOTAL} queued jobs in ${(buildMs / 1000).toFixed(1)} s`);

  const phases: { name: string; ms: number }[] = [];
  let phase = 'start';
  let phaseStarted = performance.now();
  const display = progressDisplay('adopt');
  started = performance.now();
  const report = await adoptInstallation(config, {
    onProgress(event) {
      display.listener(event);
      if (event.kind !== 'step') return;
      // One name per kind of phase, so the stores' share of it adds up.
      const name = event.message
        .replace(/rewriting \d+ time\(s\) of/, 'rewriting the local-zone times of')
        .replace(/^backing up (to )?\/\S+$/, 'backup: online copy of each file, checksums of every row');
      phases.push({ name: phase, ms: performance.now() - phaseStarted });
      phase = name;
      phaseStarted = performance.now();
    },
  });
  phases.push({ name: phase, ms: performance.now() - phaseStarted });
  display.end();
  const totalMs = performance.now() - started;
  if (!report.doctor?.ok) throw new Error(`doctor failed after adoption: ${JSON.stringify(report.doctor?.checks.filter((c) => c.status === 'fail'))}`);
  // Phases sharing a name (one per store) are summed: the table shows where the time goes.
  const byName = new Map<string, number>();
  for (const p of phases.slice(1)) byName.set(p.name, (byName.get(p.name) ?? 0) + p.ms);
  const top = [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8);
  const verdict = totalMs < 60_000 ? 'under a minute: met' : 'under a minute: missed';
  const text = [
    `## Adopt: a Piri SQLite installation with ${TOTAL.toLocaleString('en-US')} queued jobs`,
    '',
    `\`pnpm bench:adopt\`: a Piri v0.2.4 data dir built from Piri's DDL (test/support/piri-installation.ts) with ${PLAIN.toLocaleString('en-US')} jobs in`,
    `the replicator's plain queue, every timeout in a UTC+05:00 host's local zone, and ${DEDUP.toLocaleString('en-US')} in the aggregator's dedup`,
    "queue, adopted by `adoptInstallation` with the CLI's progress display: fingerprint, the /proc and exclusive-access checks,",
    'the verified backup (online backup of each file, then every row read back for the manifest checksums), the times',
    'rewritten in UTC, the queue tables rebuilt by the pending migrations (STRICT, AUTOINCREMENT, the claim index), doctor.',
    '',
    `| jobs | adopt, total | target |`,
    '|--:|--:|---|',
    `| ${TOTAL.toLocaleString('en-US')} | ${(totalMs / 1000).toFixed(1)} s | ${verdict} |`,
    '',
    'Where the time goes (phases as the progress display names them, summed over the stores):',
    '',
    '| phase | s |',
    '|---|--:|',
    ...top.map(([name, ms]) => `| ${name} | ${(ms / 1000).toFixed(1)} |`),
  ].join('\n');
  console.log(text);
  if (TOTAL === 1_000_000) writeSection(join(ROOT, 'docs/benchmarks.md'), 'adopt', text);
} finally {
  rmSync(dataDir, { recursive: true, force: true });
}
