/**
 * Plain-queue message ids, in Piri's format (`m_` + 32 lowercase hex), made here instead of by the column
 * default so that ids sort in send order: messages sent in the same millisecond share `created`, and claims
 * break that tie by id. Layout: 12 hex of the clock's ms, 8 hex of a per-process counter, 12 random hex (two
 * processes sending in the same ms and counter step still differ there).
 */
import { randomBytes } from 'node:crypto';

let lastMs = 0;
let counter = 0;

export function newMessageId(nowMs: number): string {
  // Never backwards within a process, even if the clock is: the counter keeps the order.
  if (nowMs > lastMs) {
    lastMs = nowMs;
    counter = 0;
  } else {
    counter += 1;
  }
  return `m_${hex(lastMs, 12)}${hex(counter, 8)}${randomBytes(6).toString('hex')}`;
}

function hex(value: number, width: number): string {
  return value.toString(16).padStart(width, '0').slice(-width);
}
