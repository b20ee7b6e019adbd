/**
 * `pnpm bench:soak`: a long run of every queue of a storage node under failures and crashes.
 *
 *   pnpm bench:soak [--backend sqlite|postgres] [--jobs N] [--minutes M] [--workers P] [--seed S]
 *                   [--kill-every MIN-MAX] [--chaos FRACTION] [--no-doc]
 *
 * Defaults: sqlite, 200,000 jobs, 30 min cap, 1 process on SQLite and 3 on Postgres, a random seed (printed), a kill
 * after 3-12 s of work on SQLite and 4-12 s on Postgres.
 *
 * N jobs (default 200,000) go through Piri's five queues (replication, compute_commp, manager and egress-tracker,
 * plain; aggregator, dedup, every payload distinct) in worker processes (worker.ts) that also produce them. Handlers
 * fail on purpose (once, on every delivery, or permanently; see plan.ts) and the processes are killed with SIGKILL at
 * random intervals and restarted. On SQLite one process holds the data dir (the single writer): it is killed during
 * the first FRACTION of the batches (default 0.5) and then runs undisturbed, so that its memory can be watched over
 * a long life. On Postgres P processes (default 3) share the database: slot 0 is never killed (its memory is the one
 * watched), the others are killed throughout the production.
 *
 * It reports throughput per 10 s window, the memory of the worker processes over time, and the final reconciliation:
 * sent = done + dead + queued exactly, with done counted from the handlers' durable records. Written into
 * docs/benchmarks.md (section soak-<backend>) unless --no-doc; exits 1 when the reconciliation fails. Stops
 * producing after --minutes (default 30) and reconciles what was sent by then.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { arch, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { type Config, loadConfig } from '../../src/config/load.ts';
import { writeSection } from '../support/markdown-section.ts';
import { type BenchPostgres, startBenchPostgres } from '../support/postgres.ts';
import { batchCount, BATCH, producerLog, readProducerLog } from './plan.ts';
import { reconcile, type Reconciliation } from './reconcile.ts';
import type { WorkerArgs } from './worker.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOC = join(ROOT, 'docs/benchmarks.md');
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));
const WINDOW_MS = 10_000;

// --- arguments -------------------------------------------------------------------------------------------------------

const { values: flags } = parseArgs({
  options: {
    backend: { type: 'string', default: 'sqlite' },
    jobs: { type: 'string', default: '200000' },
    minutes: { type: 'string', default: '30' },
    workers: { type: 'string' },
    seed: { type: 'string' },
    'kill-every': { type: 'string' },
    chaos: { type: 'string' },
    'no-doc': { type: 'boolean', default: false },
  },
});
const backend = flags.backend;
if (backend !== 'sqlite' && backend !== 'postgres') usage(`--backend must be sqlite or postgres, got ${backend}`);
const jobs = positive(flags.jobs!, '--jobs');
const minutes = Number(flags.minutes);
if (!(minutes > 0)) usage(`--minutes must be a number > 0, got ${flags.minutes}`);
const slots = flags.workers === undefined ? (backend === 'sqlite' ? 1 : 3) : positive(flags.workers, '--workers');
if (backend === 'sqlite' && slots !== 1) usage('--workers: on SQLite one process holds the data dir (the single writer)');
if (backend === 'postgres' && slots < 2) usage('--workers: Postgres needs at least 2 (slot 0 is never killed, the others are)');
const seed = flags.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : Number(flags.seed) | 0;
// Each kill comes after MIN-MAX s of work of its victim. SQLite's single process is killed only in the first half of
// the batches, so a little more often. Below the queues' 5 s window a job longer than a life never finishes, and such
// jobs at the head of a queue stall it until their deliveries are used up (docs/reliability.md, Limits).
const killEvery = flags['kill-every'] ?? (backend === 'sqlite' ? '3-12' : '4-12');
const [killMinS, killMaxS] = killEvery.split('-').map(Number) as [number, number];
if (!(killMinS > 0 && killMaxS >= killMinS)) usage(`--kill-every must be MIN-MAX seconds, got ${killEvery}`);
const chaosFraction = flags.chaos === undefined ? (backend === 'sqlite' ? 0.5 : 1) : Number(flags.chaos);
if (!(chaosFraction >= 0 && chaosFraction <= 1)) usage(`--chaos must be between 0 and 1, got ${flags.chaos}`);

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n) || n < 1) usage(`${flag} must be a positive integer, got ${text}`);
  return n;
}

function usage(message: string): never {
  console.error(`bench:soak: ${message}`);
  process.exit(2);
}

// --- state ---------------------------------------------------------------------------------------------------------

interface MemorySample {
  readonly t: number;
  readonly rss: number;
  readonly heapUsed: number;
}
interface Life {
  readonly slot: number;
  readonly incarnation: number;
  readonly child: ChildProcess;
  readonly started: number;
  ready: boolean;
  readyAt: number;
  killed: boolean;
  exited: boolean;
  readonly memory: MemorySample[];
  counts: Record<string, number>;
  logs: Record<string, number>;
  phase: string;
  byJob: Record<string, number>;
  stderr: string;
}

const t0 = Date.now();
const lives: Life[] = [];
const current = new Map<number, Life>();
const produced = new Set<number>();
const kills: { t: number; slot: number; incarnation: number }[] = [];
const crashes: string[] = [];
const workerErrors: string[] = [];
let stopping = false;
let lastStats: { t: number; live: number; dead: number; queues?: Record<string, string> } | undefined;

const runDir = mkdtempSync(join(tmpdir(), 'piri-db-soak-'));
const dataDir = join(runDir, 'data');
const logDir = join(runDir, 'logs');
mkdirSync(logDir);

let pg: BenchPostgres | undefined;
let config: Config;
if (backend === 'postgres') {
  pg = await startBenchPostgres();
  const url = await pg.createDatabase('soak');
  // Each process: five claim loops, renewals, sends and stats; 10 connections (x3 processes, under max_connections).
  config = loadConfig({ env: {}, dataDir, database: { type: 'postgres', postgres: { url, maxOpenConns: 10, maxIdleConns: 10 } } });
} else {
  config = loadConfig({ env: {}, dataDir });
}

const incarnations = new Map<number, number>();
function start(slot: number): Life {
  const incarnation = (incarnations.get(slot) ?? 0) + 1;
  incarnations.set(slot, incarnation);
  const workerArgs: WorkerArgs = { config, dir: logDir, slot, slots, incarnation, jobs, seed, backlog: 2_000, maxWorkers: 16, reportStats: slot === 0 };
  const child = spawn(process.execPath, ['--expose-gc', '--import', 'tsx', WORKER, JSON.stringify(workerArgs)], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const life: Life = { slot, incarnation, child, started: Date.now(), ready: false, readyAt: 0, killed: false, exited: false, memory: [], counts: {}, logs: {}, phase: '', byJob: {}, stderr: '' };
  lives.push(life);
  current.set(slot, life);
  createInterface({ input: child.stdout! }).on('line', (line) => {
    let message: Record<string, any>;
    try {
      message = JSON.parse(line);
    } catch {
      return;
    }
    if (message.event === 'ready') {
      life.ready = true;
      life.readyAt = Date.now();
    }
    else if (message.event === 'tick') {
      life.counts = message.counts;
      life.logs = message.logs;
      life.phase = message.phase;
      life.byJob = message.byJob;
    } else if (message.event === 'memory') life.memory.push({ t: message.t, rss: message.rss, heapUsed: message.heapUsed });
    else if (message.event === 'stats') lastStats = { t: message.t, live: message.live, dead: message.dead, queues: message.queues };
    else if (message.event === 'produced') produced.add(slot);
    else if (message.event === 'error') workerErrors.push(`slot ${slot}/${incarnation}: ${message.message}`);
  });
  child.stderr!.on('data', (chunk: Buffer) => (life.stderr = (life.stderr + chunk.toString()).slice(-4_000)));
  child.on('exit', (code, signal) => {
    life.exited = true;
    if (life.killed || stopping) return;
    crashes.push(`slot ${slot}/${incarnation} exited (${code ?? signal}): ${life.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    void restart(slot);
  });
  return life;
}

async function restart(slot: number): Promise<void> {
  await sleep(100 + Math.random() * 900);
  if (!stopping) start(slot);
}

async function exited(life: Life): Promise<void> {
  while (!life.exited) await sleep(20);
}

// --- the run ---------------------------------------------------------------------------------------------------------

const deadline = t0 + minutes * 60_000;
const totalBatches = batchCount(jobs);
const batchesEnded = () => {
  let n = 0;
  for (let slot = 0; slot < slots; slot++) {
    const state = readProducerLog(producerLog(logDir, slot));
    n += state.ended.size + state.found.size;
  }
  return n;
};

console.log(
  `soak: ${backend}, ${jobs.toLocaleString('en-US')} jobs in ${totalBatches} batches of ${BATCH}, ${slots} worker process(es), seed ${seed}, ` +
    `kill each after ${killMinS}-${killMaxS} s of work during the first ${Math.round(chaosFraction * 100)}% of the batches, cap ${minutes} min; run dir ${runDir}`,
);
for (let slot = 0; slot < slots; slot++) start(slot);

/**
 * While production is in its chaos phase, kills a random killable worker once it has been working (ready) for a
 * random killMin..killMax s: measured from its start, not from the last kill, so that a slow restart does not leave
 * a process killed as soon as it is up.
 */
const chaos = (async () => {
  for (;;) {
    const lifetime = (killMinS + Math.random() * (killMaxS - killMinS)) * 1_000;
    let victim: Life | undefined;
    while (victim === undefined) {
      await sleep(100);
      if (stopping || Date.now() > deadline || produced.size === slots || batchesEnded() >= chaosFraction * totalBatches) return;
      const candidates = [...current.values()].filter(
        (life) => (backend === 'sqlite' || life.slot !== 0) && life.ready && !life.exited && Date.now() - life.readyAt >= lifetime,
      );
      victim = candidates[Math.floor(Math.random() * candidates.length)];
    }
    victim.killed = true;
    victim.child.kill('SIGKILL');
    kills.push({ t: Date.now(), slot: victim.slot, incarnation: victim.incarnation });
    const c = victim.counts;
    console.log(
      `    kill: slot ${victim.slot} life ${victim.incarnation} at ${Math.round((Date.now() - t0) / 1000)} s, booted in ${((victim.readyAt - victim.started) / 1000).toFixed(1)} s, ` +
        `worked ${((Date.now() - victim.readyAt) / 1000).toFixed(1)} s: ${c.succeeded ?? 0} successes, ${c.afterDone ?? 0} already done, ` +
        `${(c.failedRetryable ?? 0) + (c.failedPermanent ?? 0)} failures, ${c.sent ?? 0} sent, waited ${c.waitingMs ?? 0} ms for room, resolved a cut batch in ${c.resolveMs ?? 0} ms; ` +
        `producer: ${victim.phase}; successes by job ${JSON.stringify(victim.byJob)}; queues ${JSON.stringify(lastStats?.queues ?? {})}; ` +
        `logs: ${Object.entries(victim.logs).filter(([k]) => !/retrying in|moving it to the dead letters/.test(k)).map(([k, v]) => `${k} x${v}`).join(', ') || 'none'}`,
    );
    void exited(victim).then(() => restart(victim.slot));
  }
})();

let capped = false;
let lastPrint = t0;
let printedDone = 0;
for (;;) {
  await sleep(1_000);
  const now = Date.now();
  const allProduced = produced.size === slots;
  if (now - lastPrint >= WINDOW_MS) {
    const succeeded = lives.reduce((n, life) => n + (life.counts.succeeded ?? 0), 0);
    const rss = current.get(0)?.memory.at(-1)?.rss ?? 0;
    console.log(
      `  ${Math.round((now - t0) / 1000)} s: ${batchesEnded()}/${totalBatches} batches sent, ${succeeded.toLocaleString('en-US')} handler successes ` +
        `(${Math.round(((succeeded - printedDone) * 1000) / (now - lastPrint))}/s), live ${lastStats?.live ?? '?'}, dead ${lastStats?.dead ?? '?'}, ` +
        `kills ${kills.length}, crashes ${crashes.length}, slot 0 RSS ${(rss / 2 ** 20).toFixed(0)} MiB`,
    );
    lastPrint = now;
    printedDone = succeeded;
  }
  // Done when every batch is sent and a count taken after that finds nothing live (killed claims have expired).
  if (allProduced && lastStats !== undefined && lastStats.live === 0 && [...current.values()].every((life) => life.ready && !life.exited)) {
    const since = Date.now();
    while (lastStats.t < since + 2_000 && Date.now() < deadline) await sleep(500);
    if (lastStats.live === 0) break;
  }
  if (now > deadline) {
    capped = true;
    break;
  }
}
stopping = true;
await chaos.catch(() => {});
const ended = Date.now();
for (const life of current.values()) if (!life.exited) life.child.kill('SIGTERM');
const stopDeadline = Date.now() + 60_000;
for (const life of current.values()) {
  while (!life.exited && Date.now() < stopDeadline) await sleep(50);
  if (!life.exited) {
    workerErrors.push(`slot ${life.slot}/${life.incarnation} did not stop within 60 s; killed`);
    life.child.kill('SIGKILL');
    await exited(life);
  }
}
const runMs = ended - t0;

// --- results ---------------------------------------------------------------------------------------------------------

const result = await reconcile(config, logDir, jobs, seed, slots);
await pg?.stop();
const { completedAt: _c, deadAt: _d, sentAt: _s, ...summary } = result;
console.log(`reconciliation: ${JSON.stringify(summary)}`);

const markdown = report(result);
console.log(`\n${markdown}\n`);
if (!flags['no-doc']) writeSection(DOC, `soak-${backend}`, markdown);
if (result.ok && workerErrors.length === 0) rmSync(runDir, { recursive: true, force: true });
else console.error(`soak: ${result.ok ? 'worker errors' : 'RECONCILIATION FAILED'}; run dir kept: ${runDir}`);
process.exitCode = result.ok ? 0 : 1;

function report(r: Reconciliation): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(0)} s`;
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
  const sum = (key: string) => lives.reduce((n, life) => n + (life.counts[key] ?? 0), 0);
  const logTotal = (pattern: RegExp) => lives.reduce((n, life) => n + Object.entries(life.logs).filter(([k]) => pattern.test(k)).reduce((m, [, v]) => m + v, 0), 0);
  const lines: string[] = [];
  const machine = `${cpus().length} x ${cpus()[0]?.model ?? 'cpu'} (${arch()}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.versions.node}`;

  lines.push(`## Soak: ${backend}`);
  lines.push('');
  lines.push(
    `${r.sent.toLocaleString('en-US')} jobs${capped ? ` (capped at ${minutes} min; ${jobs.toLocaleString('en-US')} asked)` : ''} through the five queues ` +
      `(replication, compute_commp, manager, egress-tracker, and the aggregator dedup queue with distinct payloads) in ${seconds(runMs)}, ` +
      `${slots} worker process${slots > 1 ? 'es' : ''} (16 workers per queue, manager 3), seed ${seed}, ${new Date(t0).toISOString().slice(0, 16)}Z, ${machine}. ` +
      `Handlers fail on purpose (0.4% permanently, 0.1% on every delivery, 3% on their first delivery; 4% take 0.1-7 s) and worker processes were killed ` +
      `with SIGKILL ${kills.length} times (each after ${killMinS}-${killMaxS} s of work, ${backend === 'sqlite' ? `the single writer, during the first ${Math.round(chaosFraction * 100)}% of the batches` : 'any process but slot 0, while producing'}) and restarted. ` +
      'Figures come from a shared 2-core machine with other work running: compare them within this run, not across runs.',
  );
  lines.push('');
  lines.push('**Reconciliation** (every sent job found in exactly one place; done = recorded durably by a handler before its delete):');
  lines.push('');
  lines.push('| sent | done | dead | queued | lost | duplicates | unknown or corrupt rows | result |');
  lines.push('|--:|--:|--:|--:|--:|--:|--:|---|');
  lines.push(
    `| ${r.sent.toLocaleString('en-US')} | ${r.done.toLocaleString('en-US')} | ${r.dead.toLocaleString('en-US')} | ${r.queued} | ${r.lost} | ${r.duplicates} | ${r.unknown + r.corrupt} | ` +
      `${r.ok ? `**sent = done + dead + queued**` : '**FAILED**'} |`,
  );
  lines.push('');
  const outcome = (fault: string) =>
    Object.entries(r.outcomes[fault as keyof typeof r.outcomes] ?? {})
      .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
      .join(', ') || '-';
  lines.push(
    `Outcomes by fault class: ok/pause/slow/long/flaky -> ${['ok', 'pause', 'slow', 'long', 'flaky'].map((f) => `${f}: ${outcome(f)}`).join('; ')}; ` +
      `permanent: ${outcome('permanent')}; failing every delivery: ${outcome('doomed')}. Dead letters by reason: ` +
      `${Object.entries(r.deadByReason).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}.`,
  );
  lines.push('');
  lines.push(
    `Kills and recovery: ${kills.length} SIGKILLs, ${crashes.length} unexpected exits; ` +
      `${r.ambiguousBatches.committed + r.ambiguousBatches.resent + r.ambiguousBatches.notCommitted + r.ambiguousBatches.partial} send batches were cut by a kill before their commit was recorded: ` +
      `${r.ambiguousBatches.committed} had committed whole (all ${BATCH} jobs found), ${r.ambiguousBatches.resent} had not (none found; sent again by the restarted producer), ` +
      `${r.ambiguousBatches.notCommitted} left unresolved and not committed, ${r.ambiguousBatches.partial} partly there (atomicity broken); ` +
      `${sum('afterDone').toLocaleString('en-US')} deliveries of jobs a handler had already completed (redelivered after a kill, run again idempotently: at-least-once); ` +
      `${r.doneAndDead} completed jobs also dead-lettered; ${logTotal(/retrying/).toLocaleString('en-US')} retries; ${logTotal(/moved messages whose last delivery/)} sweeps that moved lost last deliveries.` +
      (r.unexpected.length > 0
        ? ` Outcomes other than their fault class leads to: ${r.unexpected.join('; ')}. A job swept as "worker lost" had every one of its deliveries ` +
          'end with its process killed (a long job, or one claimed just before each kill): the designed end of a job that cannot finish between crashes.'
        : '') +
      (workerErrors.length > 0 ? ` Worker errors: ${workerErrors.slice(0, 5).join('; ')}.` : '') +
      (crashes.length > 0 ? ` Crashes: ${crashes.slice(0, 3).join('; ')}.` : ''),
  );
  lines.push('');

  // Throughput per 10 s window: jobs completed (done or dead-lettered) and jobs sent, by time from the start.
  const windows = Math.max(1, Math.ceil(runMs / WINDOW_MS));
  const bucket = (times: readonly number[]) => {
    const counts = new Array<number>(windows).fill(0);
    for (const t of times) counts[Math.min(windows - 1, Math.max(0, Math.floor((t - t0) / WINDOW_MS)))]! += 1;
    return counts;
  };
  const completed = bucket(r.completedAt);
  const dead = bucket(r.deadAt);
  const sent = bucket(r.sentAt);
  const killed = bucket(kills.map((k) => k.t));
  const rates = completed.map((n) => n / (WINDOW_MS / 1000));
  const sorted = [...rates].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  // While producing (up to the window of the last send) the queues are never empty; after it only the drain is left:
  // jobs failing on every delivery going through their 10 or 50 deliveries, claims of killed processes expiring.
  const lastSent = r.sentAt.reduce((a, b) => Math.max(a, b), t0);
  const producing = Math.min(windows, Math.floor((lastSent - t0) / WINDOW_MS) + 1);
  const busy = rates.slice(0, producing).sort((a, b) => a - b);
  const completedWhileProducing = completed.slice(0, producing).reduce((a, b) => a + b, 0);
  lines.push(
    `**Throughput** per 10 s window (completed = done or dead-lettered, by the time of the handler's record or the move). ` +
      `While producing (first ${producing * 10} s): ${completedWhileProducing.toLocaleString('en-US')} jobs, ${Math.round(completedWhileProducing / (producing * 10))} jobs/s on average, ` +
      `median window ${Math.round(busy[Math.floor(busy.length / 2)] ?? 0)}, lowest ${Math.round(busy[0] ?? 0)}, highest ${Math.round(busy.at(-1) ?? 0)}. ` +
      `The rest is the drain: the last jobs failing on every delivery using up their deliveries (50 on the aggregator's queues), claims of killed processes ` +
      `waiting out their window (up to 60 s on manager). Over the whole run: ${Math.round(r.completedAt.length / (runMs / 1000))} jobs/s, median window ${Math.round(median)}.`,
  );
  lines.push('');
  lines.push('| window | completed jobs/s | of which dead-lettered | sent jobs/s | kills |');
  lines.push('|---|--:|--:|--:|--:|');
  for (let w = 0; w < windows; w++) {
    lines.push(`| ${w * 10}-${(w + 1) * 10} s | ${Math.round(rates[w]!)} | ${dead[w]} | ${Math.round(sent[w]! / (WINDOW_MS / 1000))} | ${killed[w]} |`);
  }
  lines.push('');

  // Memory: the longest-lived worker process, its samples after a 10 s warm-up split into quartiles by time.
  const watched = [...lives].sort((a, b) => b.memory.length - a.memory.length)[0];
  if (watched !== undefined && watched.memory.filter((s) => s.t - watched.started >= 10_000 && s.t <= lastSent).length >= 8) {
    // Samples while the run was producing: the drain after it is mostly idle and would flatter the last quartile.
    const samples = watched.memory.filter((s) => s.t - watched.started >= 10_000 && s.t <= lastSent);
    const quarter = Math.max(1, Math.floor(samples.length / 4));
    const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
    const first = samples.slice(0, quarter);
    const last = samples.slice(-quarter);
    const change = (key: 'rss' | 'heapUsed') => {
      const a = med(first.map((s) => s[key]));
      const b = med(last.map((s) => s[key]));
      return `${mib(a)} -> ${mib(b)} MiB (${b >= a ? '+' : ''}${(((b - a) / a) * 100).toFixed(1)}%)`;
    };
    const lived = ((watched.memory.at(-1)!.t - watched.started) / 1000).toFixed(0);
    const handled = (watched.counts.succeeded ?? 0) + (watched.counts.failedPermanent ?? 0) + (watched.counts.failedRetryable ?? 0) + (watched.counts.afterDone ?? 0);
    lines.push(
      `**Memory** of the longest-lived worker process (slot ${watched.slot}, life ${watched.incarnation}: ${lived} s, ${handled.toLocaleString('en-US')} deliveries handled by it, ` +
        `${(watched.counts.succeeded ?? 0).toLocaleString('en-US')} of them successes, ${(watched.counts.sent ?? 0).toLocaleString('en-US')} jobs sent by it; ` +
        `heap measured after a forced full GC), median of the first vs the last quartile of its samples (every 2 s, after a 10 s warm-up, until the last batch was sent): ` +
        `RSS ${change('rss')}, heap used ${change('heapUsed')}. Highest RSS of any worker process: ${mib(lives.flatMap((l) => l.memory.map((s) => s.rss)).reduce((a, b) => Math.max(a, b), 0))} MiB.`,
    );
    lines.push('');
    lines.push('| time in life | RSS MiB | heap used MiB |');
    lines.push('|--:|--:|--:|');
    const step = Math.max(1, Math.floor(samples.length / 10));
    for (let i = 0; i < samples.length; i += step) {
      const s = samples[i]!;
      lines.push(`| ${((s.t - watched.started) / 1000).toFixed(0)} s | ${mib(s.rss)} | ${mib(s.heapUsed)} |`);
    }
  }
  return lines.join('\n');
}
