/**
 * The soak's job plan, shared by the parent (run.ts) and the worker processes (worker.ts). Everything about a job
 * follows from its sequence number and the run's seed, so every process agrees on it without talking:
 *
 *   batch k          jobs [k * BATCH, (k + 1) * BATCH), sent with one sendMany to the queue queueOfBatch(k), by the
 *                    worker slot k mod slots
 *   payload(seq)     24..511 bytes: seq (u32), length (u16), then bytes from seq; the handler checks every byte
 *   faultOf(seq)     what the handler does with it: succeed, fail once, fail permanently, fail every delivery, or
 *                    take long (longer than the visibility window, so the claim must be renewed)
 *
 * Durable records, on files in the run directory (appended with write(2): they survive a SIGKILL of the writer):
 *   producer-s<slot>.log   "b <k>" before a batch's sendMany, "e <k> <ms>" once it committed, "c <k>" when a restarted
 *                          producer found a batch cut by a kill (begun, no "e") already in the stores; one it found
 *                          nowhere it sends again ("b", "e")
 *   done-s<slot>-i<n>.log  "<seq> <ms>" when a handler succeeded, before it returns (so before the message's delete)
 */
import { closeSync, existsSync, openSync, readdirSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const BATCH = 100;

export interface SoakQueue {
  readonly name: string;
  readonly store: 'replicator' | 'aggregator' | 'egressTracker';
  readonly kind: 'plain' | 'dedup';
  readonly jobName: string;
  /** Share of the batches sent to it. */
  readonly share: number;
}

/** All of Piri's queues, with their registry settings (data-model §4.8): what a storage node runs. */
export const SOAK_QUEUES: readonly SoakQueue[] = [
  { name: 'replication', store: 'replicator', kind: 'plain', jobName: 'transfer-task', share: 0.3 },
  { name: 'compute_commp', store: 'aggregator', kind: 'plain', jobName: 'compute_commp', share: 0.2 },
  { name: 'manager', store: 'aggregator', kind: 'plain', jobName: 'add_roots', share: 0.1 },
  { name: 'egress-tracker', store: 'egressTracker', kind: 'plain', jobName: 'egress-track-task', share: 0.2 },
  { name: 'aggregator', store: 'aggregator', kind: 'dedup', jobName: 'aggregate_piece', share: 0.2 },
];

export type Fault = 'ok' | 'pause' | 'flaky' | 'permanent' | 'doomed' | 'slow' | 'long';

/** Cumulative probabilities of the faults (the rest is 'ok'). */
const FAULTS: readonly (readonly [Fault, number])[] = [
  ['permanent', 0.004], // PermanentError on every delivery: dead letter permanent_error at once
  ['doomed', 0.005], // a retryable error on every delivery: dead letter max_retries after the queue's deliveries
  ['flaky', 0.035], // a retryable error on its first delivery only
  ['slow', 0.04], // 100..1000 ms
  ['long', 0.0402], // 7 s: longer than the 5 s window of most queues, held by renewals
  ['pause', 0.14], // 0..3 ms of async work
];

/** A 32-bit hash of two 32-bit values (murmur3's finaliser over a simple combine). */
export function mix(a: number, b: number): number {
  let h = (a ^ Math.imul(b | 0, 0x9e3779b1)) >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A number in [0, 1) fixed by (seed, salt, x). */
export function unit(seed: number, salt: number, x: number): number {
  return mix(mix(seed, salt), x) / 2 ** 32;
}

export function batchCount(jobs: number): number {
  return Math.ceil(jobs / BATCH);
}

export function batchSeqs(k: number, jobs: number): number[] {
  const first = k * BATCH;
  return Array.from({ length: Math.min(BATCH, jobs - first) }, (_, i) => first + i);
}

export function batchOf(seq: number): number {
  return Math.floor(seq / BATCH);
}

export function queueOfBatch(seed: number, k: number): SoakQueue {
  let u = unit(seed, 1, k);
  for (const queue of SOAK_QUEUES) {
    if (u < queue.share) return queue;
    u -= queue.share;
  }
  return SOAK_QUEUES.at(-1)!;
}

export function faultOf(seed: number, seq: number): Fault {
  const u = unit(seed, 2, seq);
  return FAULTS.find(([, below]) => u < below)?.[0] ?? 'ok';
}

/** Milliseconds a 'slow' or 'pause' job takes. */
export function delayOf(seed: number, seq: number, fault: Fault): number {
  const u = unit(seed, 4, seq);
  return fault === 'slow' ? 100 + Math.floor(u * 900) : fault === 'pause' ? Math.floor(u * 4) : fault === 'long' ? 7_000 : 0;
}

export function payload(seed: number, seq: number): Buffer {
  const length = 24 + Math.floor(unit(seed, 3, seq) * 488);
  const bytes = Buffer.alloc(length);
  bytes.writeUInt32BE(seq, 0);
  bytes.writeUInt16BE(length, 4);
  let x = mix(seed, seq) || 1;
  for (let i = 6; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

/** The payload's sequence number if every byte is what payload() writes for it, else undefined. */
export function checkPayload(seed: number, bytes: Buffer): number | undefined {
  if (bytes.length < 6) return undefined;
  const seq = bytes.readUInt32BE(0);
  return payload(seed, seq).equals(bytes) ? seq : undefined;
}

/** A set of sequence numbers below a fixed bound, allocated once: the harness's own state must not grow with the run. */
export class SeqSet {
  readonly #bits: Uint8Array;
  constructor(size: number) {
    this.#bits = new Uint8Array(Math.ceil(size / 8));
  }
  has(seq: number): boolean {
    return ((this.#bits[seq >>> 3] ?? 0) & (1 << (seq & 7))) !== 0;
  }
  add(seq: number): void {
    if (seq >>> 3 < this.#bits.length) this.#bits[seq >>> 3]! |= 1 << (seq & 7);
  }
}

// --- durable logs ----------------------------------------------------------------------------------------------------

/** An append-only log written with write(2): each line is in the kernel's page cache when append() returns. */
export class AppendLog {
  readonly #fd: number;
  constructor(file: string) {
    this.#fd = openSync(file, 'a');
  }
  append(line: string): void {
    writeSync(this.#fd, `${line}\n`);
  }
  close(): void {
    closeSync(this.#fd);
  }
}

/** Complete lines of a log (a line cut short by a kill mid-write is dropped). */
export function logLines(file: string): string[] {
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8');
  const lines = text.split('\n');
  lines.pop(); // the text after the last newline: empty, or a line cut short
  return lines.filter((line) => line !== '');
}

export const producerLog = (dir: string, slot: number) => join(dir, `producer-s${slot}.log`);
export const doneLog = (dir: string, slot: number, incarnation: number) => join(dir, `done-s${slot}-i${incarnation}.log`);

export interface ProducerState {
  /** Batches whose sendMany committed, with the time. */
  readonly ended: Map<number, number>;
  /** Batches cut by a kill that a restarted producer found in the stores (committed before the kill). */
  readonly found: Set<number>;
  /** Batches begun whose commit was not recorded (the process died in between) and not resolved since. */
  readonly ambiguous: Set<number>;
  /** Batches begun more than once: cut by a kill before their commit, found nowhere, and sent again. */
  readonly resent: Set<number>;
  /** Highest batch begun, -1 for none. */
  readonly lastBegun: number;
}

export function readProducerLog(file: string): ProducerState {
  const ended = new Map<number, number>();
  const found = new Set<number>();
  const begun = new Set<number>();
  const resent = new Set<number>();
  let lastBegun = -1;
  for (const line of logLines(file)) {
    const [kind, k, ms] = line.split(' ');
    if (kind === 'b') {
      if (begun.has(Number(k))) resent.add(Number(k));
      begun.add(Number(k));
      lastBegun = Math.max(lastBegun, Number(k));
    } else if (kind === 'e') ended.set(Number(k), Number(ms));
    else if (kind === 'c') found.add(Number(k));
  }
  return { ended, found, resent, ambiguous: new Set([...begun].filter((k) => !ended.has(k) && !found.has(k))), lastBegun };
}

/** Every handler success in the run directory: seq -> time of its first recorded success. */
export function readDone(dir: string): Map<number, number> {
  const done = new Map<number, number>();
  for (const file of readdirSync(dir).filter((f) => f.startsWith('done-'))) {
    for (const line of logLines(join(dir, file))) {
      const [seq, ms] = line.split(' ').map(Number) as [number, number];
      const first = done.get(seq);
      if (first === undefined || ms < first) done.set(seq, ms);
    }
  }
  return done;
}
