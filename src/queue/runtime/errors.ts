/**
 * Errors of the worker runtime, and how a handler's failure is read: permanent or retryable, and as one line of text
 * for the dead-letter row and the log.
 */
import { inspect } from 'node:util';

/**
 * Thrown (or carried as a `cause`, at any depth) by a handler whose job can never succeed: the message is
 * dead-lettered at once with reason permanent_error instead of being retried (Piri's worker.PermanentError).
 */
export class PermanentError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** True when the error, or any error in its `cause` chain, is a PermanentError (Go's errors.As). */
export function isPermanentError(error: unknown): boolean {
  const seen = new Set<unknown>();
  for (let current = error; current instanceof Error && !seen.has(current); current = current.cause) {
    if (current instanceof PermanentError) return true;
    seen.add(current);
  }
  return false;
}

/**
 * One line for a failure: the message, then each cause's message that the text does not already contain (Go puts
 * wrapped errors into the text; JavaScript keeps them in `cause`). Non-Error values, which a handler may throw or
 * reject with, are shown with util.inspect.
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return typeof error === 'string' ? error : inspect(error, { breakLength: Infinity, depth: 2 });
  let text = error.message === '' ? error.name : error.message;
  const seen = new Set<unknown>([error]);
  for (let cause = error.cause; cause !== undefined && !seen.has(cause); cause = cause instanceof Error ? cause.cause : undefined) {
    seen.add(cause);
    const part = cause instanceof Error ? cause.message : describeError(cause);
    if (part !== '' && !text.includes(part)) text += `: ${part}`;
  }
  return text;
}

/** What onFailure receives: the thrown value itself when it is an Error, otherwise an Error describing it. */
export function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(describeError(error), { cause: error });
}

/** Calling a JobQueue method in the wrong state (Piri's texts: `JobQueue[<name>] not started, ...`). */
export class JobQueueStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * stop() ran out of time: `abandoned` claimed messages were still running or waiting for a worker; signals were
 * aborted and no outcome will be written for them. They stay claimed until their visibility window passes, then
 * are delivered again; with stop's `release`, they were given back and are receivable at once.
 * When this is thrown, the runtime has released everything and will not touch the store again.
 */
export class StopTimeoutError extends Error {
  readonly abandoned: number;

  constructor(queue: string, abandoned: number, timeoutMs: number, released: boolean) {
    super(
      `stop timeout: JobQueue[${queue}] still had ${abandoned} claimed message(s) running or waiting after ${timeoutMs} ms; ` +
        (released
          ? 'they were abandoned and released, to be delivered again at once'
          : 'they were abandoned and will be delivered again after their visibility window'),
    );
    this.name = new.target.name;
    this.abandoned = abandoned;
  }
}
