/**
 * What a task type is (Piri's TaskInterface + TypeDetails, reduced to what the engine uses), how its `do` result
 * becomes an outcome, and the task_history `err` text for each outcome.
 */
import { isDeferral, TaskEngineError } from './errors.ts';

/** The longest task type name, in characters: Postgres declares task.name and task_history.name varchar(16). */
export const MAX_TASK_NAME_LENGTH = 16;

/** What a task type's `do` gets besides the task id: who it is and the signal that aborts it when the engine stops. */
export interface TaskContext {
  readonly taskId: number;
  readonly name: string;
  /** Failed attempts so far (deferrals do not count). */
  readonly retries: number;
  /** The engine session that claimed this attempt. */
  readonly sessionId: string;
  /** Aborted when the engine stops and no longer waits for this attempt; its result will then not be applied. */
  readonly signal: AbortSignal;
}

/**
 * The result of one attempt. `done: true` completes the task (its row is deleted); with an `error` it is still
 * done, recorded as `non-failing error: ...`. `done: false` is a failed attempt, or a deferral when `error` is
 * (or wraps) a TaskDeferred. Throwing is the same as `{ done: false, error: thrown }`.
 */
export interface TaskResult {
  readonly done: boolean;
  readonly error?: unknown;
}

/**
 * A kind of task the engine runs (Piri's TaskInterface): its name, retry policy, concurrency and the `do` that performs
 * one attempt.
 */
export interface TaskType {
  /** task.name; 1 to 16 characters. */
  readonly name: string;
  /** Failed attempts allowed before the task is dropped: N means N + 1 attempts in all (Piri). 0 = retry forever. */
  readonly maxFailures: number;
  /**
   * How long a failed task waits before it is claimable again, from its retries count. Not consulted while
   * retries is 0 (Piri): a deferred task that never failed is claimable at once.
   */
  readonly retryWait?: (retries: number) => number;
  /** Tasks of this type this engine runs at once (Piri had no limit). */
  readonly maxInFlight: number;
  do(taskId: number, ctx: TaskContext): Promise<TaskResult> | TaskResult;
}

export function validateTaskType(type: TaskType): void {
  const fail = (problem: string): never => {
    throw new TaskEngineError('INVALID_TASK_TYPE', `task type ${JSON.stringify(type?.name)}: ${problem}`);
  };
  if (typeof type !== 'object' || type === null) fail('not an object');
  const length = typeof type.name === 'string' ? [...type.name].length : 0;
  if (length < 1 || length > MAX_TASK_NAME_LENGTH) {
    fail(`name must be 1 to ${MAX_TASK_NAME_LENGTH} characters (Postgres task.name is varchar(16))`);
  }
  if (!Number.isInteger(type.maxFailures) || type.maxFailures < 0) fail('maxFailures must be an integer >= 0 (0 = infinite)');
  if (!Number.isInteger(type.maxInFlight) || type.maxInFlight < 1) fail('maxInFlight must be an integer >= 1');
  if (type.retryWait !== undefined && typeof type.retryWait !== 'function') fail('retryWait must be a function');
  if (typeof type.do !== 'function') fail('do must be a function');
}

/** Piri's poll filter: eligible when RetryWait is nil, or retries == 0, or now - update_time > RetryWait(retries). */
export function isEligible(type: TaskType, task: { retries: number; updateTimeMs: number }, nowMs: number): boolean {
  if (type.retryWait === undefined || task.retries === 0) return true;
  let wait = type.retryWait(task.retries);
  if (Number.isNaN(wait) || wait < 0) wait = 0;
  return nowMs - task.updateTimeMs > wait;
}

export type Outcome =
  | { readonly kind: 'done'; readonly err: string }
  | { readonly kind: 'deferred'; readonly err: string }
  | { readonly kind: 'failed'; readonly err: string };

/** Turns what `do` returned into an outcome with Piri's task_history err text. */
export function outcomeOfResult(result: unknown): Outcome {
  if (typeof result !== 'object' || result === null || !('done' in result) || typeof result.done !== 'boolean') {
    return { kind: 'failed', err: `error: task returned ${describe(result)} instead of { done: boolean }` };
  }
  const done = result.done;
  const error = 'error' in result ? result.error : undefined;
  const hasError = error !== undefined && error !== null;
  if (done) return { kind: 'done', err: hasError ? `non-failing error: ${messageOf(error)}` : '' };
  if (hasError && isDeferral(error)) return { kind: 'deferred', err: `deferred: ${messageOf(error)}` };
  return { kind: 'failed', err: hasError ? `error: ${messageOf(error)}` : '' };
}

/** Anything thrown by `do`, an Error or not: a failure, or a deferral for a TaskDeferred. */
export function outcomeOfThrown(thrown: unknown): Outcome {
  if (isDeferral(thrown)) return { kind: 'deferred', err: `deferred: ${messageOf(thrown)}` };
  return { kind: 'failed', err: `error: ${messageOf(thrown)}` };
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return describe(error);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
