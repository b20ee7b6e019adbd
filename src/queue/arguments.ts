/**
 * Checks of queue call arguments, done once at the edge (plain-queue.ts, dedup-queue.ts) so the SQL drivers
 * receive plain, valid values. Every message names the argument.
 */
import { QueueError } from '../errors.ts';
import type { DeadLetterFilter, DeadLetterInput, DeadLetterReason, SendOptions } from './types.ts';

/**
 * The latest deadline a queue accepts, 9999-12-31T23:59:59.999Z: the SQLite plain queue stores times as
 * fixed-width text, which a five-digit year would break.
 */
export const LATEST_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

const REASONS: readonly DeadLetterReason[] = ['permanent_error', 'max_retries'];

export function invalidArgument(message: string): QueueError {
  return new QueueError('INVALID_ARGUMENT', message);
}

export function checkQueueName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalidArgument(`queue name must be a non-empty string, got ${show(name)}`);
  return name;
}

/** A Buffer over the same bytes (no copy): both drivers bind Buffers. */
export function checkBody(body: unknown, argument: string): Buffer {
  if (!(body instanceof Uint8Array)) throw invalidArgument(`${argument} must be a Uint8Array (or Buffer), got ${show(body)}`);
  return Buffer.isBuffer(body) ? body : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
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
  return limit;
}

export function checkId(id: unknown, argument: string): string {
  if (typeof id !== 'string' || id === '') throw invalidArgument(`${argument} must be a non-empty message id string, got ${show(id)}`);
  return id;
}

export function checkIds<Id>(ids: unknown, argument: string, check: (id: unknown, argument: string) => Id): Id[] {
  if (!Array.isArray(ids)) throw invalidArgument(`${argument} must be an array of message ids, got ${show(ids)}`);
  return ids.map((id, i) => check(id, `${argument}[${i}]`));
}

export function checkDeadLetterInput(input: unknown): DeadLetterInput {
  const { jobName, reason, error } = (input ?? {}) as Partial<DeadLetterInput>;
  if (typeof jobName !== 'string') throw invalidArgument(`input.jobName must be a string, got ${show(jobName)}`);
  if (!REASONS.includes(reason as DeadLetterReason)) {
    throw invalidArgument(`input.reason must be one of ${REASONS.join(', ')}, got ${show(reason)}`);
  }
  if (typeof error !== 'string') throw invalidArgument(`input.error must be a string, got ${show(error)}`);
  return { jobName, reason: reason as DeadLetterReason, error };
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
  return {
    ids: ids === undefined ? undefined : checkIds(ids, 'filter.ids', checkId),
    jobName,
    movedBeforeMs: movedBefore?.getTime(),
    limit: limit === undefined ? undefined : checkLimit(limit, 'filter.limit'),
  };
}

function show(value: unknown): string {
  if (value instanceof Uint8Array) return `${value.constructor.name}(${value.byteLength})`;
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || value === undefined || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : value.constructor?.name ?? 'an object';
}
