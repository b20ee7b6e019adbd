/**
 * Plain-queue message ids, in Piri's format (`m_` + 32 lowercase hex), made here instead of by the column
 * default so that ids sort in send order: messages sent in the same millisecond share `created`, and claims
 * break that tie by id. Layout: 12 hex of the clock's ms, 8 hex of a per-process counter, 12 random hex (two
 * processes sending in the same ms and counter step still differ there).
 */
import { randomFillSync } from 'node:crypto';

let lastMs = 0;
let counter = 0;

// One getrandom call per 1,024 ids instead of one per id: a call per id cost about as much as the send itself.
const RANDOM_BYTES_PER_ID = 6;
const pool = Buffer.alloc(RANDOM_BYTES_PER_ID * 1024);
let poolOffset = pool.length;

export function newMessageId(nowMs: number): string {
  // Never backwards within a process, even if the clock is: the counter keeps the order.
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = 0;
  } else {
    counter += 1;
  }
  return `m_${hex(lastMs, 12)}${hex(counter, 8)}${randomHex()}`;
}

/**
 * `count` ids as `count` calls of newMessageId would make them, for sendMany: the clock's hex is written once for
 * the batch (all its ids share the ms) instead of once an id.
 */
export function newMessageIds(nowMs: number, count: number): string[] {
  const ids = new Array<string>(count);
  if (count === 0) return ids;
  ids[0] = newMessageId(nowMs);
  const prefix = `m_${hex(lastMs, 12)}`;
  for (let i = 1; i < count; i++) {
    counter += 1;
    ids[i] = prefix + hex(counter, 8) + randomHex();
  }
  return ids;
}

function randomHex(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += RANDOM_BYTES_PER_ID;
  return pool.toString('hex', start, poolOffset);
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0').slice(-width);
}
