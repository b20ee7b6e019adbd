/**
 * Paired measurement: the rate of two systems on one phase, in alternating slices, for a ratio that the machine's
 * drift cannot fake. Whole runs of a system take 10-40 s here, and the load of a shared 2-core machine moves a run by
 * 20-40% against the run beside it; slices of a second or two in ABBA order (A B B A A B B A ...) see the same load on
 * both sides, and a drift that is linear over a pair of pairs cancels out. Both systems stay open for the whole
 * measurement, so their tables grow alike.
 *
 * Drains are measured as the workload measures them (bench/support/workload.ts): Postgres settled first, every job
 * of the slice checked handled exactly once and nothing left. A drain slice's jobs are batch-sent untimed just before;
 * after a send phase both queues are emptied, untimed.
 */
import { makePayload, type Phase, type QueueSystem, sendInBatches, timed, timedDrain } from './workload.ts';

export interface PairedOptions {
  /** Jobs each system is timed on, split evenly over the slices. */
  readonly jobs: number;
  /** Slices per system; a multiple of 2 keeps the ABBA order whole. */
  readonly slices: number;
  readonly batchSize: number;
  readonly stallMs?: number;
}

export interface PairedResult {
  readonly phase: Phase;
  readonly jobs: number;
  /** Jobs/s of each side over all its slices. */
  readonly rateA: number;
  readonly rateB: number;
  /** Ratio A / B of each adjacent pair of slices. */
  readonly slicePairs: readonly number[];
}

export async function measurePaired(a: QueueSystem, b: QueueSystem, phase: Phase, options: PairedOptions): Promise<PairedResult> {
  const perSlice = Math.max(1, Math.floor(options.jobs / options.slices));
  const seconds = new Map<QueueSystem, number[]>([
    [a, []],
    [b, []],
  ]);
  // Sequence numbers are never reused on one system, so a drain's exactly-once check cannot mistake an old job.
  const nextSeq = new Map<QueueSystem, number>([
    [a, 0],
    [b, 0],
  ]);
  const take = (system: QueueSystem): number => {
    const first = nextSeq.get(system)!;
    nextSeq.set(system, first + perSlice);
    return first;
  };
  const slice = async (system: QueueSystem): Promise<void> => {
    const first = take(system);
    let spent: number;
    if (phase === 'send one at a time') {
      spent = await timed(async () => {
        for (let seq = first; seq < first + perSlice; seq++) await system.sendOne(makePayload(seq));
      });
    } else if (phase === 'send batch') {
      spent = await timed(() => sendInBatches(system, first, first + perSlice, options.batchSize));
    } else {
      await sendInBatches(system, first, first + perSlice, options.batchSize);
      const workers = phase === 'drain with 1 worker' ? 1 : 8;
      spent = await timedDrain(system, { first, count: perSlice, workers, stallMs: options.stallMs ?? 30_000 });
    }
    seconds.get(system)!.push(spent);
  };
  for (let i = 0; i < options.slices; i++) {
    const [first, second] = i % 2 === 0 ? [a, b] : [b, a];
    await slice(first);
    await slice(second);
  }
  if (phase === 'send one at a time' || phase === 'send batch') {
    // Untimed: the next phase starts from an empty queue, as the workload's rounds do.
    for (const system of [a, b]) {
      await system.drain({ workers: 8, expected: perSlice * options.slices, handle: () => {} });
      const left = await system.remaining();
      if (left !== 0) throw new Error(`${system.name}: ${left} job(s) left after emptying the queue`);
    }
  }
  const total = (system: QueueSystem) => seconds.get(system)!.reduce((sum, s) => sum + s, 0);
  const timedJobs = perSlice * options.slices;
  const secondsA = seconds.get(a)!;
  const secondsB = seconds.get(b)!;
  return {
    phase,
    jobs: timedJobs,
    rateA: timedJobs / total(a),
    rateB: timedJobs / total(b),
    // Rates are jobs over seconds with equal jobs per slice, so the ratio of rates is B's time over A's.
    slicePairs: secondsA.map((spentA, i) => secondsB[i]! / spentA),
  };
}
