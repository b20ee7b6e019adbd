/**
 * The workload every queue system is measured with, and the contract a system implements to be measured.
 *
 * A round is "enqueue N jobs, then drain them": round 1 enqueues one job at a time and drains with one worker,
 * round 2 enqueues in batches and drains with eight. Every drain is checked: each job sent in the round must be
 * handled exactly once and nothing may be left in the queue, otherwise the run throws instead of printing a number.
 */
import { settlePostgres } from './postgres.ts';

/** How a system reaches its database; Postgres systems name theirs so the runner can ANALYZE and CHECKPOINT it. */
export type QueueLocation =
  | { readonly backend: 'sqlite' }
  | { readonly backend: 'postgres'; readonly databaseUrl: string };

/**
 * One queue system under test. Payloads are opaque ~100-byte ASCII strings; a system stores them however it
 * stores job data (bytes, text, JSON) and must hand back the same string.
 */
export type QueueSystem = QueueLocation & {
  readonly name: string;
  /** Creates tables or schema and opens connections. Not timed. */
  setup(): Promise<void>;
  /** Enqueues one job the way an application enqueues a single job: its own statement or transaction. */
  sendOne(payload: string): Promise<void>;
  /** Enqueues many jobs with the system's bulk path (one statement, or one transaction). */
  sendBatch(payloads: readonly string[]): Promise<void>;
  /**
   * Runs `workers` concurrent consumers in this process until every queued job has been handled AND completed
   * (deleted or marked done), then stops them. How jobs are claimed and completed, one by one or in batches, is
   * the system's business; `handle` must be called once per claimed job.
   */
  drain(request: DrainRequest): Promise<void>;
  /** Jobs not yet completed (waiting, claimed or failed). The runner requires 0 after every drain. */
  remaining(): Promise<number>;
  /** Stops workers, closes connections and removes files. Runs even after a failed phase. */
  teardown(): Promise<void>;
};

export interface DrainRequest {
  readonly workers: number;
  /** Jobs in the queue when the drain starts: a runtime that never sees "empty" stops once this many are handled. */
  readonly expected: number;
  /** The (no-op) job handler. It records the job, and never throws. */
  readonly handle: (payload: string) => void | Promise<void>;
}

export const PHASES = ['send one at a time', 'send batch', 'drain with 1 worker', 'drain with 8 workers'] as const;
export type Phase = (typeof PHASES)[number];

export interface ResultRow {
  readonly system: string;
  readonly backend: 'sqlite' | 'postgres';
  readonly phase: Phase;
  /** How many jobs the phase timed: N, or fewer for single sends on a slow system. */
  readonly jobs: number;
  readonly jobsPerSec: number;
}

export interface WorkloadOptions {
  /** N: jobs per round. */
  readonly jobs: number;
  /** Jobs timed in "send one at a time"; the rest of the round is topped up untimed with sendBatch. Default N. */
  readonly sendOneJobs?: number;
  /** Payloads per sendBatch call. */
  readonly batchSize: number;
  /** Phases to time and report. Unreported send phases still run, untimed, to fill the queue. Default all. */
  readonly report?: readonly Phase[];
  /** A drain that handles nothing for this long fails instead of hanging on a lost job. */
  readonly stallMs?: number;
}

export const PAYLOAD_BYTES = 100;

/** A ~100-byte JSON payload carrying the job's sequence number, which is what the exactly-once check counts. */
export function makePayload(seq: number): string {
  const head = `{"seq":${seq},"pad":"`;
  return `${head}${'x'.repeat(Math.max(0, PAYLOAD_BYTES - head.length - 2))}"}`;
}

/** Runs both rounds on one system and returns a row per reported phase. */
export async function runWorkload(system: QueueSystem, options: WorkloadOptions): Promise<ResultRow[]> {
  const report = new Set<Phase>(options.report ?? PHASES);
  const rows: ResultRow[] = [];
  const record = (phase: Phase, jobs: number, seconds: number): void => {
    if (!report.has(phase)) return;
    rows.push({ system: system.name, backend: system.backend, phase, jobs, jobsPerSec: jobs / seconds });
  };
  const n = options.jobs;
  const drain = (round: number, workers: number): Promise<number> =>
    timedDrain(system, { first: round * n, count: n, workers, stallMs: options.stallMs ?? 30_000 });

  await system.setup();
  try {
    // Round 1: single sends, one worker.
    const sendOneJobs = report.has('send one at a time') ? Math.min(options.sendOneJobs ?? n, n) : 0;
    if (sendOneJobs > 0) {
      const seconds = await timed(async () => {
        for (let seq = 0; seq < sendOneJobs; seq++) await system.sendOne(makePayload(seq));
      });
      record('send one at a time', sendOneJobs, seconds);
    }
    await sendInBatches(system, sendOneJobs, n, options.batchSize);
    record('drain with 1 worker', n, await drain(0, 1));

    // Round 2: batch sends, eight workers.
    record('send batch', n, await timed(() => sendInBatches(system, n, 2 * n, options.batchSize)));
    record('drain with 8 workers', n, await drain(1, 8));
  } finally {
    await system.teardown();
  }
  return rows;
}

export async function sendInBatches(system: QueueSystem, from: number, to: number, batchSize: number): Promise<void> {
  for (let start = from; start < to; start += batchSize) {
    const payloads: string[] = [];
    for (let seq = start; seq < Math.min(start + batchSize, to); seq++) payloads.push(makePayload(seq));
    await system.sendBatch(payloads);
  }
}

export interface DrainRound {
  /** Sequence numbers first .. first+count-1 were sent in this round. */
  readonly first: number;
  readonly count: number;
  readonly workers: number;
  readonly stallMs: number;
}

/** Settles Postgres, times one drain, then proves every job of the round was handled once and completed. */
export async function timedDrain(system: QueueSystem, round: DrainRound): Promise<number> {
  if (system.backend === 'postgres') await settlePostgres(system.databaseUrl);
  const ledger = new Ledger(round.first, round.count);
  const request: DrainRequest = {
    workers: round.workers,
    expected: round.count,
    handle: (payload) => ledger.record(payload),
  };
  const what = `${system.name}, drain with ${round.workers} worker(s)`;
  const seconds = await timed(() => withStallGuard(what, system.drain(request), ledger, round.stallMs));
  ledger.verify(what);
  const left = await system.remaining();
  if (left !== 0) throw new Error(`${what}: ${left} job(s) left in the queue afterwards`);
  return seconds;
}

/**
 * Counts handled sequence numbers. Duplicates and strangers are remembered rather than thrown, so a runtime cannot
 * swallow them as a failed job and retry.
 */
class Ledger {
  private readonly seen: Uint8Array;
  private duplicates = 0;
  private strangers = 0;
  handled = 0;
  lastProgress = Date.now();

  constructor(
    private readonly first: number,
    count: number,
  ) {
    this.seen = new Uint8Array(count);
  }

  record(payload: string): void {
    this.handled++;
    this.lastProgress = Date.now();
    const index = sequenceOf(payload) - this.first;
    if (!(index >= 0 && index < this.seen.length)) this.strangers++;
    else if (this.seen[index] === 1) this.duplicates++;
    else this.seen[index] = 1;
  }

  verify(what: string): void {
    const missing = this.seen.length - this.seen.reduce((sum, flag) => sum + flag, 0);
    if (missing > 0 || this.duplicates > 0 || this.strangers > 0) {
      throw new Error(
        `${what}: exactly-once check failed: ${missing} missing, ${this.duplicates} handled twice, ` +
          `${this.strangers} not from this round (of ${this.seen.length} jobs)`,
      );
    }
  }
}

/** NaN for a payload that is not ours, so a mangled body counts as a stranger instead of throwing in a handler. */
function sequenceOf(payload: string): number {
  try {
    const { seq } = JSON.parse(payload) as { seq?: unknown };
    return typeof seq === 'number' ? seq : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/** Rejects when the drain handles nothing for stallMs: a lost or stuck job must fail the run, not hang it. */
async function withStallGuard(what: string, drain: Promise<void>, ledger: Ledger, stallMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setInterval(() => {
      if (Date.now() - ledger.lastProgress > stallMs) {
        reject(new Error(`${what}: stalled, nothing handled for ${stallMs} ms after ${ledger.handled} job(s)`));
      }
    }, 500);
  });
  try {
    await Promise.race([drain, stalled]);
  } finally {
    clearInterval(timer);
  }
}

/** For runtimes that keep polling an empty queue: a handler that resolves `allHandled` once `expected` jobs ran. */
export function countHandled(request: DrainRequest): {
  handle: (payload: string) => Promise<void>;
  allHandled: Promise<void>;
} {
  let left = request.expected;
  let resolve!: () => void;
  const allHandled = new Promise<void>((done) => (resolve = done));
  if (left === 0) resolve();
  return {
    allHandled,
    async handle(payload) {
      await request.handle(payload);
      if (--left === 0) resolve();
    },
  };
}

export async function timed(work: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  await work();
  return Number(process.hrtime.bigint() - start) / 1e9;
}
