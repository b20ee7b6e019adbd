/**
 * Checks of queue call arguments, done once at the edge (plain-queue.ts, dedup-queue.ts) so the SQL drivers
 * receive plain, valid values. Every message names the argument.
 */
import { QueueError } from '../errors.ts';
import { isOneOf } from '../narrow.ts';
import type { DeadLetterFilter, DeadLetterInput, DeadLetterReason, SendOptions } from './types.ts';

/**
 * The latest deadline a queue accepts, 9999-12-31T23:59:59.999Z: the SQLite plain queue stores times as
 * fixed-width text, which a five-digit year would break.
 */
export const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
/** 0000-01-01T00:00:00.000Z, the earliest time the SQLite text format can write. */
export const EARLIEST_TIME_MS = Date.parse('0000-01-01T00:00:00.000Z');

/**
 * The largest message body a queue stores, 128 MiB, the same on both backends. postgres-js sends and reads a bytea
 * as hex text in one JavaScript string, two characters a byte, and V8 caps a string at 2^29 - 24 characters: a body
 * of 256 MiB or more can neither be written nor read back on Postgres (SQLite takes up to 1 GB). Half of that
 * leaves a margin, and keeps what one message costs in memory (body, hex text, wire buffer) under 1 GB.
 */
export const MAX_BODY_BYTES = 128 * 1024 * 1024;

/**
 * The longest queue name and job name, in UTF-8 bytes. Both are keys of unique indexes on Postgres (plain
 * `jobqueue.queue`, dedup `queues.queue` and `job_ns (queue, name)`), whose btree entries hold at most 2,704 bytes;
 * two names at the limit fit in one job_ns entry. SQLite has no such bound, so without this check a name would
 * work on one backend and fail on the other.
 */
export const MAX_NAME_BYTES = 1024;

const REASONS: readonly DeadLetterReason[] = ['permanent_error', 'max_retries'];

export function invalidArgument(message: string): QueueError {
  return new QueueError('INVALID_ARGUMENT', message);
}

export function checkQueueName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalidArgument(`queue name must be a non-empty string, got ${show(name)}`);
  return checkNameLength(checkStorable(name, 'queue name'), 'queue name');
}

/** A queue or job name within MAX_NAME_BYTES. The name itself is left out of the message: it is long. */
export function checkNameLength(name: string, argument: string): string {
  const bytes = Buffer.byteLength(name, 'utf8');
  if (bytes > MAX_NAME_BYTES) throw invalidArgument(`${argument} is ${bytes} bytes in UTF-8, over the limit of ${MAX_NAME_BYTES} bytes`);
  return name;
}

/**
 * Text a key column can hold on both backends, unchanged. PostgreSQL text cannot store U+0000 (the driver's
 * `invalid byte sequence` error would reach the caller), and an unpaired UTF-16 surrogate has no UTF-8 form: both
 * drivers write it as something else (Postgres as U+FFFD, so that two different names would share rows).
 */
export function checkStorable(text: string, argument: string): string {
  const problem = unstorable(text);
  if (problem !== undefined) throw invalidArgument(`${argument} must not contain ${problem}, got ${show(text)}`);
  return text;
}

/** Free text (a dead letter's error and job name): what cannot be stored becomes U+FFFD instead of failing the write. */
export function storableText(text: string): string {
  return text.replace(UNSTORABLE, '\ufffd');
}

/** U+0000 or an unpaired surrogate: with the u flag, a surrogate class only matches surrogates that are not in a pair. */
const UNSTORABLE = /[\u0000\ud800-\udfff]/gu;

function unstorable(text: string): string | undefined {
  if (text.includes('\u0000')) return 'U+0000 (NUL), which PostgreSQL text cannot store';
  if (/[\ud800-\udfff]/u.test(text)) return 'an unpaired UTF-16 surrogate, which has no UTF-8 form';
  return undefined;
}

/** A Buffer over the same bytes (no copy): both drivers bind Buffers. */
export function checkBody(body: unknown, argument: string): Buffer {
  if (!(body instanceof Uint8Array)) throw invalidArgument(`${argument} must be a Uint8Array (or Buffer), got ${show(body)}`);
  checkBodySize(body.byteLength, argument);
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

/** `what` names the body, e.g. `bodies[2]`. */
export function checkBodySize(bytes: number, what: string): void {
  if (bytes > MAX_BODY_BYTES) throw invalidArgument(`${what} is ${bytes} bytes, over the limit of ${MAX_BODY_BYTES} bytes (128 MiB)`);
}

export function checkBodies(bodies: unknown): Buffer[] {
  if (!Array.isArray(bodies)) throw invalidArgument(`bodies must be an array of Uint8Array, got ${show(bodies)}`);
  return bodies.map((body, i) => checkBody(body, `bodies[${i}]`));
}

/** A duration in ms: finite and >= 0. */
export function checkDuration(ms: unknown, argument: string): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
    throw invalidArgument(`${argument} must be a finite number of ms >= 0, got ${show(ms)}`);
  }
  return ms;
}

export function checkSendOptions(options: SendOptions | undefined): number {
  return options?.delayMs === undefined ? 0 : checkDuration(options.delayMs, 'options.delayMs');
}

/** now + ms in whole ms, rounded up (never earlier than asked), within LATEST_TIME_MS. */
export function deadlineMs(now: number, ms: number, argument: string): number {
  const deadline = now + Math.ceil(ms);
  if (deadline > LATEST_TIME_MS) throw invalidArgument(`${argument} is too large: ${ms} ms from now is after 9999-12-31`);
  return deadline;
}

export function checkLimit(limit: unknown, argument: string): number {
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw invalidArgument(`${argument} must be an integer >= 1, got ${show(limit)}`);
  }
  // 1e300 is an integer to JavaScript but to neither driver (SQLite: datatype mismatch, Postgres: not a bigint).
  // No queue holds more messages than this, so "at most" means the same.
  return Math.min(limit, Number.MAX_SAFE_INTEGER);
}

export function checkId(id: unknown, argument: string): string {
  if (typeof id !== 'string' || id === '') throw invalidArgument(`${argument} must be a non-empty message id string, got ${show(id)}`);
  return checkStorable(id, argument);
}

export function checkIds<Id>(ids: unknown, argument: string, check: (id: unknown, argument: string) => Id): Id[] {
  if (!Array.isArray(ids)) throw invalidArgument(`${argument} must be an array of message ids, got ${show(ids)}`);
  return ids.map((id, i) => check(id, `${argument}[${i}]`));
}

/** Claims to give back, as parallel lists; ids go through the queue kind's own id check. */
export function checkClaims<Id>(claims: unknown, checkId: (id: unknown, argument: string) => Id): { ids: Id[]; deliveries: number[] } {
  if (!Array.isArray(claims)) throw invalidArgument(`claims must be an array of { id, delivery }, got ${show(claims)}`);
  const ids: Id[] = [];
  const deliveries: number[] = [];
  claims.forEach((claim: unknown, i) => {
    const { id, delivery }: { id?: unknown; delivery?: unknown } = claim ?? {};
    ids.push(checkId(id, `claims[${i}].id`));
    // A delivery count is an integer column on Postgres: anything else matches no row on either backend.
    if (typeof delivery !== 'number' || !Number.isInteger(delivery) || delivery < 1 || delivery > 2 ** 31 - 1) {
      throw invalidArgument(`claims[${i}].delivery must be an integer from 1 to 2^31 - 1, got ${show(delivery)}`);
    }
    deliveries.push(delivery);
  });
  return { ids, deliveries };
}

export function checkDeadLetterInput(input: unknown): DeadLetterInput {
  const { jobName, reason, error }: { jobName?: unknown; reason?: unknown; error?: unknown } = input ?? {};
  if (typeof jobName !== 'string') throw invalidArgument(`input.jobName must be a string, got ${show(jobName)}`);
  if (!isOneOf(REASONS, reason)) {
    throw invalidArgument(`input.reason must be one of ${REASONS.join(', ')}, got ${show(reason)}`);
  }
  if (typeof error !== 'string') throw invalidArgument(`input.error must be a string, got ${show(error)}`);
  // Both are free text that comes from job data (an envelope's name, a handler's error message): refusing them would
  // leave the message undead-letterable, retried and finally swept with the cause lost.
  return { jobName: storableText(jobName), reason, error: storableText(error) };
}

/** A dead-letter filter with each present field checked; ids go through the queue kind's own id check. */
export function checkFilter<Id>(
  filter: DeadLetterFilter | undefined,
  checkId: (id: unknown, argument: string) => Id,
): { ids?: Id[]; jobName?: string; movedBeforeMs?: number; limit?: number } {
  const { ids, jobName, movedBefore, limit } = filter ?? {};
  if (jobName !== undefined && typeof jobName !== 'string') throw invalidArgument(`filter.jobName must be a string, got ${show(jobName)}`);
  if (movedBefore !== undefined && !(movedBefore instanceof Date && Number.isFinite(movedBefore.getTime()))) {
    throw invalidArgument(`filter.movedBefore must be a valid Date, got ${show(movedBefore)}`);
  }
  // Queue times lie in years 0000-9999 (the SQLite text format's range; Postgres ends at 4713 BC). A later bound
  // selects every dead letter (written in that format it would compare below every row and select none), an
  // earlier one none.
  const ms = movedBefore?.getTime();
  const movedBeforeMs = ms === undefined || ms > LATEST_TIME_MS ? undefined : Math.max(ms, EARLIEST_TIME_MS);
  return {
    ids: ids === undefined ? undefined : checkIds(ids, 'filter.ids', checkId),
    // Stored job names went through storableText: a filter finds them by the name as given.
    jobName: jobName === undefined ? undefined : storableText(jobName),
    movedBeforeMs,
    limit: limit === undefined ? undefined : checkLimit(limit, 'filter.limit'),
  };
}

/** A value for a message, whatever it is (JSON.stringify throws on a BigInt, and a template literal on a Symbol). */
export function show(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.byteLength})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : value.constructor?.name ?? 'an object';
}
