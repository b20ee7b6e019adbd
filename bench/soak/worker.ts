/**
 * One soak worker process (run.ts starts, kills and restarts these). It runs the worker runtime on all five of
 * Piri's queues, produces its slot's share of the batches, and reports on stdout, one JSON line per event:
 *
 *   ready     {pid}                                  stores open, runtimes started
 *   tick      {t, counts, logs}                      every second: this incarnation's counters and runtime log counts
 *   memory    {t, rss, heapUsed, heapTotal, external, arrayBuffers}   every 2 s, heap measured after a full GC
 *   stats     {t, live, dead}                        every 2 s when asked (one slot): all five queues together
 *   produced  {}                                     every batch of this slot has been sent (now or in an earlier life)
 *   stopped   {}                                     after SIGTERM: runtimes stopped, stores closed
 *   error     {message}
 *
 * Handlers are idempotent, as at-least-once delivery requires: a job already recorded as done (by this process or
 * one before it) succeeds at once without running again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Config } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import { createJobQueue, type JobHandler, type JobQueue, type JobQueueLogger, PermanentError } from '../../src/queue/runtime/index.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { openDatabases } from '../../src/stores/open.ts';
import { scanStores } from './reconcile.ts';
import {
  AppendLog,
  batchCount,
  batchSeqs,
  checkPayload,
  delayOf,
  doneLog,
  faultOf,
  payload,
  producerLog,
  queueOfBatch,
  readDone,
  readProducerLog,
  SeqSet,
  SOAK_QUEUES,
} from './plan.ts';

export interface WorkerArgs {
  readonly config: Config;
  readonly dir: string;
  readonly slot: number;
  readonly slots: number;
  readonly incarnation: number;
  readonly jobs: number;
  readonly seed: number;
  /** Most ready + delayed messages a queue may hold before this producer waits. */
  readonly backlog: number;
  /** Workers per queue (the manager queue keeps its registry value, 3). */
  readonly maxWorkers: number;
  readonly reportStats: boolean;
}

const args = JSON.parse(process.argv[2]!) as WorkerArgs;
const { dir, slot, slots, seed, jobs } = args;
const emit = (event: string, fields: Record<string, unknown> = {}) => process.stdout.write(`${JSON.stringify({ event, ...fields })}\n`);

const counts = { succeeded: 0, failedRetryable: 0, failedPermanent: 0, afterDone: 0, corrupt: 0, sent: 0, waitingMs: 0, resolveMs: 0 };
const logCounts = new Map<string, number>();
/** What the producer is doing, and handler outcomes per job name: for the parent's diagnostics. */
let phase = 'starting';
const byJob: Record<string, number> = {};
const count = (level: string, message: string) => {
  const key = `${level}: ${message.replace(/\d+/g, 'N')}`;
  logCounts.set(key, (logCounts.get(key) ?? 0) + 1);
};
const logger: JobQueueLogger = { warn: (message) => count('warn', message), error: (message) => count('error', message) };

let stopping = false;
const timers: NodeJS.Timeout[] = [];

try {
  const dbs = await openDatabases(args.config);
  const done = new SeqSet(jobs);
  for (const seq of readDone(dir).keys()) done.add(seq);
  const doneRecords = new AppendLog(doneLog(dir, slot, args.incarnation));

  const handler: JobHandler = async (bytes, context) => {
    const seq = checkPayload(seed, bytes);
    if (seq === undefined) {
      counts.corrupt++;
      throw new PermanentError('the payload is not what was sent for its sequence number');
    }
    if (done.has(seq)) {
      counts.afterDone++;
      return;
    }
    const fault = faultOf(seed, seq);
    if (fault === 'permanent') {
      counts.failedPermanent++;
      throw new PermanentError(`job ${seq} can never succeed`);
    }
    if (fault === 'doomed' || (fault === 'flaky' && context.delivery === 1)) {
      counts.failedRetryable++;
      throw new Error(`job ${seq} failed (delivery ${context.delivery})`);
    }
    const ms = delayOf(seed, seq, fault);
    if (ms > 0) await sleep(ms);
    doneRecords.append(`${seq} ${Date.now()}`);
    done.add(seq);
    counts.succeeded++;
    byJob[context.jobName] = (byJob[context.jobName] ?? 0) + 1;
  };

  const stores = new Map<string, QueueStore>();
  const runtimes: JobQueue[] = [];
  for (const queue of SOAK_QUEUES) {
    const store = queue.kind === 'dedup' ? dbs[queue.store].dedupQueue(queue.name) : dbs[queue.store].queue(queue.name);
    stores.set(queue.name, store);
    const runtime = createJobQueue(store, {
      maxWorkers: queue.name === 'manager' ? undefined : args.maxWorkers,
      // Short backoff, so that a job failing on every delivery reaches its dead letter within the run.
      backoff: { baseMs: 20, factor: 2, maxMs: 500 },
      logger,
    });
    runtime.register(queue.jobName, handler);
    runtimes.push(runtime);
  }
  for (const runtime of runtimes) runtime.start();
  emit('ready', { pid: process.pid });

  timers.push(setInterval(() => emit('tick', { t: Date.now(), counts, logs: Object.fromEntries(logCounts), phase, byJob }), 1_000));
  timers.push(
    setInterval(() => {
      globalThis.gc?.();
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage();
      emit('memory', { t: Date.now(), rss, heapUsed, heapTotal, external, arrayBuffers });
    }, 2_000),
  );
  if (args.reportStats) {
    let reporting = false;
    timers.push(
      setInterval(() => {
        if (reporting) return;
        reporting = true;
        void Promise.all([...stores.values()].map((store) => store.stats()))
          .then((all) =>
            emit('stats', {
              t: Date.now(),
              live: all.reduce((n, s) => n + s.ready + s.inFlight + s.delayed + s.exhausted, 0),
              dead: all.reduce((n, s) => n + s.dead, 0),
              queues: Object.fromEntries(all.map((s) => [s.queue, `${s.ready}r/${s.inFlight}f/${s.delayed}d/${s.exhausted}x`])),
            }),
          )
          .catch((error: unknown) => emit('error', { message: `stats: ${(error as Error).message}` }))
          .finally(() => (reporting = false));
      }, 2_000),
    );
  }

  const producing = (async () => {
    const file = producerLog(dir, slot);
    const state = readProducerLog(file);
    const log = new AppendLog(file);
    const sendBatch = async (k: number) => {
      const queue = queueOfBatch(seed, k);
      const store = stores.get(queue.name)!;
      const bodies = batchSeqs(k, jobs).map((seq) => encode(queue.jobName, payload(seed, seq)));
      log.append(`b ${k}`);
      const ids = await store.sendMany(bodies);
      log.append(`e ${k} ${Date.now()}`);
      counts.sent += bodies.length;
      if (ids.some((id) => id === undefined)) emit('error', { message: `batch ${k}: the ${queue.name} queue skipped a job with a distinct payload` });
    };
    try {
      // A batch an earlier life began and was killed before recording its commit: one transaction, so the stores
      // hold all of its jobs (live, dead, or done by a handler) or none. Found: recorded as such. Nowhere: sent again
      // (its process is dead and no other slot sends it, so it cannot commit later). run.ts checks both again.
      if (state.ambiguous.size > 0) {
        phase = `resolving ${[...state.ambiguous].join(',')}`;
        const resolving = Date.now();
        const { found } = await scanStores(dbs, seed);
        counts.resolveMs = Date.now() - resolving;
        const doneNow = readDone(dir);
        for (const k of state.ambiguous) {
          const seqs = batchSeqs(k, jobs);
          const seen = seqs.filter((seq) => found.has(seq) || doneNow.has(seq)).length;
          if (seen === 0) await sendBatch(k);
          else log.append(`c ${k}`);
          if (seen !== 0 && seen !== seqs.length) emit('error', { message: `batch ${k}: ${seen} of its ${seqs.length} jobs are in the stores` });
        }
      }
      for (let k = state.lastBegun < 0 ? slot : state.lastBegun + slots; k < batchCount(jobs) && !stopping; k += slots) {
        const queue = queueOfBatch(seed, k);
        const store = stores.get(queue.name)!;
        phase = `room in ${queue.name} for batch ${k}`;
        const waiting = Date.now();
        for (let s = await store.stats(); s.ready + s.delayed >= args.backlog && !stopping; s = await store.stats()) await sleep(20);
        counts.waitingMs += Date.now() - waiting;
        if (stopping) return;
        phase = `sending batch ${k}`;
        await sendBatch(k);
      }
      phase = 'produced';
      if (!stopping) emit('produced');
    } finally {
      log.close();
    }
  })();
  // A failed send ends the process: its batch stays "begun", and run.ts restarts the slot.
  producing.catch((error: unknown) => {
    emit('error', { message: `producer: ${(error as Error).message}` });
    process.exit(1);
  });

  process.once('SIGTERM', () => {
    stopping = true;
    void (async () => {
      await producing.catch(() => {});
      await Promise.allSettled(runtimes.map((runtime) => runtime.stop({ timeoutMs: 15_000 })));
      for (const timer of timers) clearInterval(timer);
      emit('tick', { t: Date.now(), counts, logs: Object.fromEntries(logCounts) });
      doneRecords.close();
      await dbs.close();
      emit('stopped');
    })().catch((error: unknown) => {
      emit('error', { message: `stop: ${(error as Error).message}` });
      process.exitCode = 1;
    });
  });
} catch (error) {
  emit('error', { message: (error as Error).message });
  process.exitCode = 1;
  for (const timer of timers) clearInterval(timer);
}
