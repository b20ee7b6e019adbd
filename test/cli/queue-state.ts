/**
 * A prepared queue state for the `piri-db queue` tests: messages in every state, written through the queue API
 * with a ManualClock running in the past, so that relative to the real clock (the CLI's) each message is in the
 * state it was put in, whatever the test's speed:
 *
 *   replication (plain, 10 deliveries, 5 s window) and aggregator (dedup, 50 deliveries, 30 s window), each:
 *     exhausted  sent at now - 2 days, received maxDeliveries times, each window long passed
 *     dead       "first":  dead-lettered at about now - 2 days, permanent_error, a two-line error
 *     dead       "second": dead-lettered at about now - 1 hour, max_retries, another job name
 *     in flight  received at now - 1 hour, claim extended to now + 2 days
 *     ready      sent at now - 1 hour
 *     delayed    sent at now - 1 hour with a 2-day delay
 *
 * `now` is a whole second, so the oldest message (the exhausted one, created at now - 2 days on both kinds) is
 * exactly 2 days old at `now`. The installation is closed again: a CLI that writes needs the writer.
 */
import { ManualClock } from '../../src/clock.ts';
import type { Config } from '../../src/config/load.ts';
import { encode } from '../../src/queue/envelope.ts';
import type { QueueStore } from '../../src/queue/types.ts';
import { openDatabases } from '../../src/stores/open.ts';

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;

/** Bytes that must never show in text output. */
export const MARKER = 'PAYLOAD-7f3a-never-printed';

export interface QueueState {
  /** The whole second the state is relative to. */
  readonly now: number;
  readonly replication: { readonly first: string; readonly second: string; readonly firstBody: Buffer };
  readonly aggregator: { readonly first: string; readonly second: string; readonly firstBody: Buffer; readonly secondBody: Buffer };
}

export async function prepareQueues(config: Config): Promise<QueueState> {
  const now = Math.floor(Date.now() / 1000) * 1000;
  const clock = new ManualClock(now - 2 * DAY);
  const dbs = await openDatabases(config, { clock });
  try {
    const plainBody = (n: string) => Buffer.from(`${MARKER}-plain-${n}`);
    const replication = await fill(dbs.replicator.queue('replication'), clock, now, plainBody, {
      first: 'transfer-task',
      second: 'other-task',
    });
    const dedupBody = (n: string) => encode(n === 'second' ? 'other_piece' : 'aggregate_piece', Buffer.from(`${MARKER}-dedup-${n}`));
    const aggregator = await fill(dbs.aggregator.dedupQueue('aggregator'), clock, now, dedupBody, {
      first: 'aggregate_piece',
      second: 'other_piece',
    });
    return {
      now,
      replication: { first: replication.first, second: replication.second, firstBody: plainBody('first') },
      aggregator: { first: aggregator.first, second: aggregator.second, firstBody: dedupBody('first'), secondBody: dedupBody('second') },
    };
  } finally {
    await dbs.close();
  }
}

async function fill(
  queue: QueueStore,
  clock: ManualClock,
  now: number,
  body: (name: string) => Buffer,
  jobNames: { first: string; second: string },
): Promise<{ first: string; second: string }> {
  const to = (at: number) => clock.advance(at - clock.now());
  to(now - 2 * DAY);
  const exhausted = (await queue.send(body('exhausted')))!;
  for (let i = 0; i < queue.settings.maxDeliveries; i++) {
    const got = await queue.receive();
    if (got?.id !== exhausted) throw new Error(`delivery ${i + 1} of the exhausted message returned ${got?.id}`);
    clock.advance(queue.settings.visibilityTimeoutMs + 1000);
  }
  const first = await deadLettered(queue, body('first'), { jobName: jobNames.first, reason: 'permanent_error', error: 'boom: the first failure\n  at stack frame' });
  to(now - HOUR);
  const second = await deadLettered(queue, body('second'), { jobName: jobNames.second, reason: 'max_retries', error: 'gave up' });
  const inFlight = (await queue.send(body('in-flight')))!;
  if ((await queue.receive())?.id !== inFlight) throw new Error('the in-flight message was not the one received');
  await queue.extend(inFlight, 2 * DAY);
  await queue.send(body('ready'));
  await queue.send(body('delayed'), { delayMs: 2 * DAY });
  return { first, second };
}

async function deadLettered(queue: QueueStore, bytes: Buffer, input: Parameters<QueueStore['deadLetter']>[1]): Promise<string> {
  const id = (await queue.send(bytes))!;
  const got = await queue.receive();
  if (got?.id !== id) throw new Error(`expected to receive ${id}, got ${got?.id}`);
  await queue.deadLetter(id, input);
  return id;
}
