/**
 * Task engine throughput on both backends, and nonce-lock contention between senders.
 *
 *   add         addTask one at a time (one transaction each), N tasks.
 *   drain       the same N tasks claimed, run (no-op Do) and finished by 1 engine, then by 3 engines in one
 *               process (same store; on SQLite they share the one connection and its mutex). Each engine
 *               maxInFlight 16. Measured from start() until the last finish committed.
 *   nonce lock  SendTransaction-shaped tasks (data-model §8.1), all from ONE address, S at a time (maxInFlight S):
 *               addTask with extra inserting message_sends_eth; Do = acquire message_send_eth_locks (retrying
 *               every `retryMs` while another task holds it, Piri sleeps 100 ms), MAX(nonce)+1 and sign, record the
 *               send, release the lock. Reports sends/s and acquire attempts per send.
 *
 * Figures are never asserted; compare rows of one run. Postgres is a local server with durable defaults.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Config, loadConfig } from '../../src/config/load.ts';
import { schedulerSql } from '../../src/scheduler/sql/index.ts';
import { TaskEngine } from '../../src/scheduler/task-engine.ts';
import { type Databases, openDatabases } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { type BenchPostgres, settlePostgres } from '../support/postgres.ts';

export interface TaskBenchRow {
  readonly backend: Dialect;
  readonly scenario: string;
  /** Tasks (or sends) completed in the timed phase. */
  readonly count: number;
  readonly seconds: number;
  readonly perSecond: number;
  /** Nonce lock only: mean acquire attempts per send (1 = never waited). */
  readonly attemptsPerSend?: number;
}

export interface TaskBenchOptions {
  /** Tasks for add and drain. Default 2,000. */
  readonly tasks?: number;
  /** Concurrent senders on one address. Default [1, 4, 16]. */
  readonly senders?: readonly number[];
  /** Sends per nonce-lock run. Default 200. */
  readonly sends?: number;
  /** Sleep between lock attempts. Default [100] (Piri). */
  readonly lockRetryMs?: readonly number[];
  readonly backends?: readonly Dialect[];
}

const MAX_IN_FLIGHT = 16;

export async function benchSchedulerTasks(postgres: BenchPostgres, options: TaskBenchOptions = {}): Promise<TaskBenchRow[]> {
  const { tasks = 2_000, senders = [1, 4, 16], sends = 200, lockRetryMs = [100], backends = ['sqlite', 'postgres'] } = options;
  const rows: TaskBenchRow[] = [];
  for (const backend of backends) {
    const fresh = async (): Promise<Config> => {
      const dataDir = mkdtempSync(join(tmpdir(), 'piri-db-bench-tasks-'));
      if (backend === 'sqlite') return loadConfig({ env: {}, dataDir });
      const url = await postgres.createDatabase('tasks');
      return loadConfig({ env: {}, dataDir, database: { type: 'postgres', postgres: { url } } });
    };
    for (const engines of [1, 3]) {
      const config = await fresh();
      const dbs = await openDatabases(config);
      try {
        const added = await benchAdd(dbs, tasks);
        if (engines === 1) rows.push({ backend, scenario: 'add (addTask, one at a time)', ...added });
        if (config.database.type === 'postgres') await settlePostgres(config.database.postgres.url);
        rows.push({ backend, scenario: `drain, ${engines} engine${engines > 1 ? 's' : ''} x maxInFlight ${MAX_IN_FLIGHT}`, ...(await benchDrain(dbs, tasks, engines)) });
      } finally {
        await dbs.close();
      }
    }
    for (const retryMs of lockRetryMs) {
      for (const s of senders) {
        const dbs = await openDatabases(await fresh());
        try {
          rows.push({ backend, scenario: `nonce lock, ${s} sender${s > 1 ? 's' : ''} on 1 address, retry ${retryMs} ms`, ...(await benchNonceLock(dbs, s, sends, retryMs)) });
        } finally {
          await dbs.close();
        }
      }
    }
  }
  return rows;
}

const quiet = () => {};

async function benchAdd(dbs: Databases, n: number) {
  const engine = new TaskEngine(dbs.scheduler, { onEvent: quiet }).register({ name: 'noop', maxFailures: 0, maxInFlight: 1, do: async () => ({ done: true }) });
  const started = performance.now();
  for (let i = 0; i < n; i++) await engine.addTask('noop');
  return rate(n, started);
}

async function benchDrain(dbs: Databases, n: number, engineCount: number) {
  let finished = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const engines = Array.from({ length: engineCount }, () =>
    new TaskEngine(dbs.scheduler, {
      firstPollDelayMs: 0,
      onEvent: (event) => {
        if (event.kind === 'finished' && ++finished === n) allDone();
      },
    }).register({ name: 'noop', maxFailures: 0, maxInFlight: MAX_IN_FLIGHT, do: async () => ({ done: true }) }),
  );
  for (const engine of engines) await engine.join();
  const started = performance.now();
  for (const engine of engines) await engine.start();
  await done;
  const result = rate(n, started);
  await Promise.all(engines.map((e) => e.stop()));
  return result;
}

async function benchNonceLock(dbs: Databases, senders: number, n: number, retryMs: number) {
  const sql = schedulerSql(dbs.scheduler);
  const from = '0x00000000000000000000000000000000000000A1';
  let attempts = 0;
  let finished = 0;
  let allDone!: () => void;
  const done = new Promise<void>((resolve) => (allDone = resolve));
  const engine = new TaskEngine(dbs.scheduler, {
    firstPollDelayMs: 0,
    onEvent: (event) => {
      if (event.kind === 'finished' && ++finished === n) allDone();
    },
  }).register({
    name: 'SendTransaction',
    maxFailures: 1000,
    maxInFlight: senders,
    do: async (taskId) => {
      for (;;) {
        attempts++;
        const acquired = await sql.transaction((tx) => tx.messageSendLocks.acquire({ fromAddress: from, taskId, nowMs: Date.now() }));
        if (acquired) break;
        await sleep(retryMs);
      }
      try {
        await sql.transaction(async (tx) => {
          const max = await tx.messageSends.maxSentNonce({ fromAddress: from });
          const nonce = max === undefined ? 0 : max + 1;
          await tx.messageSends.assignNonce({ taskId, nonce, signedTx: Buffer.alloc(110, nonce % 256), signedHash: `0xsigned${taskId}` });
        });
        await sql.transaction((tx) => tx.messageSends.recordSend({ taskId, success: true, error: '', nowMs: Date.now() }));
      } finally {
        await sql.transaction((tx) => tx.messageSendLocks.release({ fromAddress: from, taskId }));
      }
      return { done: true };
    },
  });
  for (let i = 0; i < n; i++) {
    await engine.addTask('SendTransaction', async (taskId, tx) => {
      await tx.messageSends.insert({
        taskId,
        fromAddress: from,
        toAddress: '0x00000000000000000000000000000000000000B2',
        sendReason: 'pdp-prove',
        unsignedTx: Buffer.alloc(100, 7),
        unsignedHash: `0xunsigned${taskId}`,
      });
      return true;
    });
  }
  const started = performance.now();
  await engine.start();
  await done;
  const result = rate(n, started);
  await engine.stop();
  return { ...result, attemptsPerSend: attempts / n };
}

function rate(count: number, started: number) {
  const seconds = (performance.now() - started) / 1000;
  return { count, seconds, perSecond: count / seconds };
}

export function schedulerTasksMarkdown(rows: readonly TaskBenchRow[]): string {
  const lines = [
    '## Scheduler: task engine and nonce lock',
    '',
    'add: addTask one at a time. drain: the added tasks claimed, run (no-op) and finished, from start() to the',
    'last finish. nonce lock: SendTransaction-shaped tasks from one address, S running at once, each taking',
    'message_send_eth_locks (retrying after a sleep), assigning MAX(nonce)+1, recording the send, releasing.',
    '',
    '| backend | scenario | n | seconds | per second | lock attempts per send |',
    '|---|---|--:|--:|--:|--:|',
    ...rows.map(
      (r) =>
        `| ${r.backend} | ${r.scenario} | ${r.count.toLocaleString('en-US')} | ${r.seconds.toFixed(2)} | ${Math.round(r.perSecond).toLocaleString('en-US')} | ${r.attemptsPerSend === undefined ? '-' : r.attemptsPerSend.toFixed(2)} |`,
    ),
  ];
  return lines.join('\n');
}
