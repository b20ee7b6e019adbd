/**
 * Kill-and-reconcile, for one backend, the plain and the dedup queue at once. Processes running
 * test/fixtures/fault-queue.ts send batches to both queues and work both; each is SIGKILLed, either by the parent at a random moment once it is busy, or by
 * itself at a chosen point (right after a send committed and before it was recorded, after a claim, inside a
 * handler, around the delete of a success, around a move to the dead letters). Each killed process is replaced by a
 * new one, which finds what its predecessor left. At the end a drain process (short windows, frequent sweeps) runs
 * until nothing is live, and the records the processes wrote outside the database are reconciled with the tables.
 *
 * On SQLite one process holds the data dir: sending and working share one process ("both"), restarted after each
 * kill. On PostgreSQL a sender and a worker process live side by side and are killed independently.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { expect } from 'vitest';
import type { Config } from '../../../src/config/load.ts';
import { decode } from '../../../src/queue/envelope.ts';
import { SWEEP_ERROR } from '../../../src/queue/dead-letters.ts';
import type { QueueStats } from '../../../src/queue/types.ts';
import { openDatabases } from '../../../src/stores/open.ts';
import type { Dialect } from '../../../src/catalog/registry.ts';
import {
  FAULT_DEDUP_QUEUE,
  FAULT_QUEUE_KINDS,
  type FaultQueueKind,
  type FaultQueueOptions,
  faultKind,
  queueOf,
  queueOfKey,
} from '../../fixtures/fault-queue-shared.ts';
import { type Child, spawnFixture } from '../../support/child.ts';
import { freshConfig, tempDir } from '../../support/installations.ts';
import { tableRows } from '../../support/queues.ts';
import { sleep } from './wait.ts';

/** The parent kills at a random moment; every other point is one where the process kills itself. */
const PARENT = 'parent';
const SENDER_POINTS = ['after-send-commit'];
/** Postgres only: on SQLite a send's transaction runs synchronously, so there is no "during". */
const PG_SENDER_POINTS = ['during-send', 'after-send-commit'];
const WORKER_POINTS = ['after-claim', 'in-handler', 'before-delete', 'after-delete-commit', 'before-dead-letter', 'after-dead-letter-commit'];

/** Bounds that turn a hang into a failure; nothing asserts how long anything took. */
const BUSY_BOUND_MS = 20_000;
const SELF_KILL_BOUND_MS = 20_000;
const DRAIN_BOUND_MS = 45_000;

export interface KillSummary {
  readonly attempted: number;
  readonly committed: number;
  readonly done: number;
  readonly dead: number;
  readonly queued: number;
  /** Attempted, never confirmed (killed between the commit or rollback and the record): found in the tables or not. */
  readonly unconfirmedFound: number;
  readonly unconfirmedAbsent: number;
  readonly handlings: number;
}

export interface KillOutcome {
  readonly plain: KillSummary;
  readonly dedup: KillSummary;
  /** Kill points that were reached (self kills, with the queue they were in), and how many kills the parent did. */
  readonly kills: Record<string, number>;
}

export async function killAndReconcile(backend: Dialect): Promise<KillOutcome> {
  const config = await freshConfig(backend);
  // The installation is set up (migrated) once before the first kill, so no kill lands in a migration.
  await (await openDatabases(config)).close();
  const recordDir = tempDir('piri-db-fault-records-');
  const children = new Set<Child>();
  const kills: Record<string, number> = {};
  let tags = 0;

  const incarnation = async (role: FaultQueueOptions['role'], point: string) => {
    const tag = `${role[0]}${++tags}`;
    const options: FaultQueueOptions = {
      role,
      tag,
      recordDir,
      maxBatch: 30,
      sendPauseMs: 15,
      ...(point === PARENT ? {} : { dieAt: point, dieAfter: 1 + Math.floor(Math.random() * 4) }),
    };
    const child = spawnFixture('fault-queue.ts', config, JSON.stringify(options));
    children.add(child);
    let dying: string | undefined;
    void child.next('dying').then((m) => (dying = `${m.point} (${m.queue})`), () => {});
    await child.next('ready');
    if (point === PARENT) {
      await within(child.next('busy'), BUSY_BOUND_MS);
      await sleep(50 + Math.random() * 600);
    } else {
      await within(child.exit, SELF_KILL_BOUND_MS);
    }
    if (child.process.exitCode === null && child.process.signalCode === null) child.process.kill('SIGKILL');
    const exit = await child.exit;
    children.delete(child);
    // Died by SIGKILL, never by an error of its own.
    expect(exit, `${tag} (${role}, ${point})`).toMatchObject({ signal: 'SIGKILL' });
    const how = dying ?? (point === PARENT ? PARENT : `${PARENT} (${point} not reached)`);
    kills[how] = (kills[how] ?? 0) + 1;
  };

  try {
    if (backend === 'sqlite') {
      for (const point of [PARENT, ...SENDER_POINTS, ...WORKER_POINTS]) await incarnation('both', point);
    } else {
      // The sender keeps being killed and replaced for as long as the worker is, so the worker always finds work.
      let working = true;
      const sending = (async () => {
        for (let i = 0; working; i++) await incarnation('sender', [PARENT, ...PG_SENDER_POINTS][i % 3]!);
      })();
      sending.catch(() => {}); // awaited below; a failure there is reported, not left unhandled meanwhile
      try {
        for (const point of [PARENT, ...WORKER_POINTS]) await incarnation('worker', point);
      } finally {
        working = false;
        await sending;
      }
    }
    await drain(config, recordDir, children);
  } finally {
    for (const child of children) child.process.kill('SIGKILL');
  }
  const records = readRecords(recordDir);
  return { plain: await reconcile(config, 'plain', records), dedup: await reconcile(config, 'dedup', records), kills };
}

/** A worker that is never killed, until nothing is live in either queue; then stopped with SIGTERM. */
async function drain(config: Config, recordDir: string, children: Set<Child>): Promise<void> {
  const options: FaultQueueOptions = { role: 'drain', tag: 'd0', recordDir, maxBatch: 1, sendPauseMs: 0 };
  const child = spawnFixture('fault-queue.ts', config, JSON.stringify(options));
  children.add(child);
  let drained: () => void;
  const done = new Promise<void>((resolve) => (drained = resolve));
  createInterface({ input: child.process.stdout! }).on('line', (line) => {
    const message = JSON.parse(line) as { event: string } & Partial<Record<FaultQueueKind, QueueStats>>;
    const idle = (s: QueueStats) => s.ready + s.inFlight + s.delayed + s.exhausted === 0;
    if (message.event === 'stats' && FAULT_QUEUE_KINDS.every((kind) => idle(message[kind]!))) drained();
  });
  await child.next('ready');
  await within(done, DRAIN_BOUND_MS, 'the drain to leave nothing live');
  child.process.kill('SIGTERM');
  await child.next('stopped');
  expect(await child.exit).toMatchObject({ code: 0, stderr: '' });
  children.delete(child);
}

async function within<T>(promise: Promise<T>, ms: number, what?: string): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<undefined>((resolve, reject) => {
    timer = setTimeout(() => (what === undefined ? resolve(undefined) : reject(new Error(`gave up waiting for ${what} after ${ms} ms`))), ms);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

// ---- records ----

/** Complete lines of every `<kind>-*.log`; a last line a kill cut short (no newline) is dropped. */
function recordLines(dir: string, kind: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(`${kind}-`))
    .flatMap((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      const complete = text.slice(0, text.lastIndexOf('\n') + 1);
      return complete.split('\n').filter((line) => line !== '');
    });
}

interface Handling {
  readonly id: string;
  readonly delivery: number;
  readonly outcome: string;
}

interface Records {
  /** Attempted keys, and the batch (one sendMany) each was attempted in. */
  readonly batchOf: Map<string, string>;
  readonly batches: Map<string, string[]>;
  /** Keys whose send was confirmed, with the id sendMany returned. */
  readonly committed: Map<string, string>;
  readonly handled: Map<string, Handling[]>;
}

function readRecords(recordDir: string): Records {
  const batchOf = new Map<string, string>();
  const batches = new Map<string, string[]>();
  for (const line of recordLines(recordDir, 'attempted')) {
    const [batch, keys] = line.split(' ');
    const list = keys!.split(',');
    const tag = `${list[0]!.split('-')[0]}#${batch}`;
    batches.set(tag, list);
    for (const key of list) batchOf.set(key, tag);
  }
  const committed = new Map<string, string>();
  for (const line of recordLines(recordDir, 'committed')) {
    for (const pair of line.split(' ')[1]!.split(',')) {
      const [key, id] = pair.split(':');
      committed.set(key!, id!);
    }
  }
  const handled = new Map<string, Handling[]>();
  for (const line of recordLines(recordDir, 'handled')) {
    const [key, id, delivery, outcome] = line.split(' ');
    handled.set(key!, [...(handled.get(key!) ?? []), { id: id!, delivery: Number(delivery), outcome: outcome! }]);
  }
  return { batchOf, batches, committed, handled };
}

/** Only the keys sent to `kind`'s queue. */
function ofQueue<V>(map: Map<string, V>, kind: FaultQueueKind, keyOf: (k: string, v: V) => string = (k) => k): Map<string, V> {
  return new Map([...map].filter(([k, v]) => queueOfKey(keyOf(k, v)) === kind));
}

/**
 * Every key the processes attempted to send to `kind`'s queue is, in the tables, in exactly one place or nowhere:
 *   done    gone from the queue and not dead; it must have a recorded success (dedup: job_done status 1)
 *   dead    in the dead letters, for a reason its kind allows
 *   queued  still live
 * A committed key is never nowhere: sent = done + dead + queued. A batch attempted but not confirmed was one
 * transaction: all of its keys are found, or none.
 */
async function reconcile(config: Config, kind: FaultQueueKind, records: Records): Promise<KillSummary> {
  const batchOf = ofQueue(records.batchOf, kind);
  const batches = ofQueue(records.batches, kind, (_, keys) => keys[0]!);
  const committed = ofQueue(records.committed, kind);
  const handled = ofQueue(records.handled, kind);

  const dbs = await openDatabases(config);
  const live = new Map<string, string>();
  const dead = new Map<string, { id: string; reason: string; error: string }>();
  const doneStatus = new Map<string, number>();
  let stats: QueueStats;
  try {
    const queue = queueOf(dbs, kind);
    const keyOf = (body: Buffer) => decode(body).message.toString();
    const put = <V>(map: Map<string, V>, key: string, value: V, where: string) => {
      expect(map.has(key), `${key} twice in ${where}`).toBe(false);
      map.set(key, value);
    };
    if (kind === 'plain') {
      for (const row of await tableRows(dbs.replicator, 'jobqueue')) put(live, keyOf(row.body), String(row.id), 'jobqueue');
    } else {
      const ns = new Set((await tableRows(dbs.aggregator, 'jobNs')).filter((r) => r.queue === FAULT_DEDUP_QUEUE).map((r) => Number(r.id)));
      for (const row of await tableRows(dbs.aggregator, 'jobs')) if (ns.has(Number(row.nsId))) put(live, keyOf(row.body), String(row.id), 'jobs');
      const keyHex = new Map([...batchOf.keys()].map((key) => [createHash('sha256').update(key).digest('hex'), key]));
      for (const row of await tableRows(dbs.aggregator, 'jobDone')) {
        if (!ns.has(Number(row.nsId))) continue;
        const key = keyHex.get(Buffer.from(row.key).toString('hex'));
        expect(key, 'a job_done row for a key nobody attempted').toBeDefined();
        put(doneStatus, key!, Number(row.status), 'job_done');
      }
    }
    for (const letter of await queue.deadLetters()) put(dead, keyOf(letter.body), { id: letter.id, reason: letter.reason, error: letter.error }, 'dead letters');
    stats = await queue.stats();
  } finally {
    await dbs.close();
  }

  // Nothing the processes did not attempt; nothing in two places.
  for (const key of [...live.keys(), ...dead.keys(), ...handled.keys(), ...doneStatus.keys()]) {
    expect(batchOf.has(key), `${key} is in the tables or was handled but was never attempted`).toBe(true);
  }
  for (const key of live.keys()) expect(dead.has(key), `${key} is both live and dead`).toBe(false);

  const allowedDeath = (key: string, reason: string, error: string) => {
    const sweep = reason === 'max_retries' && error === SWEEP_ERROR;
    switch (faultKind(key)) {
      case 'permanent':
        return (reason === 'permanent_error' && error.includes(key)) || sweep;
      case 'always':
        return reason === 'max_retries';
      default:
        // A job that would succeed is dead only when kills used up its deliveries: the sweep's record.
        return sweep;
    }
  };

  /** Where a key is, or 'absent' when it has no trace at all (only possible for an unconfirmed send). */
  const place = (key: string): 'queued' | 'dead' | 'done' | 'absent' => {
    const deliveries = handled.get(key) ?? [];
    const id = committed.get(key) ?? live.get(key) ?? dead.get(key)?.id ?? deliveries[0]?.id;
    // One message per key: every trace of it carries the same id.
    for (const seen of [live.get(key), dead.get(key)?.id, ...deliveries.map((d) => d.id)]) {
      if (seen !== undefined) expect(seen, `${key} appears under two ids`).toBe(id);
    }
    if (live.has(key)) {
      if (kind === 'dedup') expect(doneStatus.has(key), `${key} is live and in job_done`).toBe(false);
      return 'queued';
    }
    const letter = dead.get(key);
    if (letter !== undefined) {
      expect(allowedDeath(key, letter.reason, letter.error), `${key} (${faultKind(key)}) dead for ${letter.reason}: ${letter.error}`).toBe(true);
      // Dead-lettered keys are blocked from coming back (the dedup queue's defaults): job_done status 2.
      if (kind === 'dedup') expect(doneStatus.get(key), `${key} dead without its job_done block`).toBe(2);
      return 'dead';
    }
    if (deliveries.length === 0 && !doneStatus.has(key)) return 'absent';
    // Gone and not dead: done. Only a success deletes, and a success is recorded before the handler returns.
    expect(deliveries.some((d) => d.outcome === 'ok'), `${key} is gone from the queue without a recorded success: lost`).toBe(true);
    expect(['ok', 'transient']).toContain(faultKind(key));
    if (kind === 'dedup') expect(doneStatus.get(key), `${key} done without job_done status 1`).toBe(1);
    return 'done';
  };

  const counts = { done: 0, dead: 0, queued: 0 };
  for (const key of committed.keys()) {
    const where = place(key);
    expect(where, `${key} was committed and is nowhere: lost`).not.toBe('absent');
    counts[where as keyof typeof counts]++;
  }
  let unconfirmedFound = 0;
  let unconfirmedAbsent = 0;
  for (const [tag, keys] of batches) {
    if (keys.every((key) => committed.has(key))) continue;
    // A batch is confirmed whole or not at all (one line); a partly confirmed batch would be a broken record.
    expect(keys.some((key) => committed.has(key)), `batch ${tag} partly confirmed`).toBe(false);
    const found = keys.filter((key) => place(key) !== 'absent').length;
    expect([0, keys.length], `batch ${tag}: ${found} of ${keys.length} keys found (sendMany is one transaction)`).toContain(found);
    if (found === 0) unconfirmedAbsent += keys.length;
    else unconfirmedFound += keys.length;
  }

  // The drain left nothing live, and the store's own counts agree with the records.
  expect(counts.queued).toBe(0);
  expect(stats).toMatchObject({ ready: 0, inFlight: 0, delayed: 0, exhausted: 0 });
  const foundDead = [...dead.keys()].length;
  expect(stats.dead).toBe(foundDead);
  expect(counts.done + counts.dead + counts.queued).toBe(committed.size);
  // Sends happened, and every way out was taken: without these the reconciliation would prove little.
  expect(committed.size).toBeGreaterThan(0);
  expect(counts.done).toBeGreaterThan(0);
  expect(counts.dead).toBeGreaterThan(0);

  return {
    attempted: batchOf.size,
    committed: committed.size,
    ...counts,
    unconfirmedFound,
    unconfirmedAbsent,
    handlings: [...handled.values()].reduce((n, list) => n + list.length, 0),
  };
}
