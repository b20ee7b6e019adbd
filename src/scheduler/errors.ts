/**
 * Errors of the task engine. (Kept beside the engine rather than in src/errors.ts; they can move under
 * PiriDbError once that file's code list is settled.)
 */

/**
 * Thrown (or returned as `{ done: false, error }`) by a task's `do` to put the task back without counting a
 * retry: Piri's ErrGasTooHigh. The task is released (session_id NULL, update_time now, retries unchanged) and
 * the attempt is recorded in task_history as `deferred: <message>`. Detected anywhere in the `cause` chain.
 */
export class TaskDeferred extends Error {
  constructor(message = 'deferred', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TaskDeferred';
  }
}

/**
 * What a TaskEngineError is about: a task type that fails validation, an addTask for an unregistered type, a bad
 * option, or a call in the wrong engine state.
 */
export type TaskEngineErrorCode = 'INVALID_TASK_TYPE' | 'UNKNOWN_TASK_TYPE' | 'INVALID_OPTION' | 'ENGINE_STATE';

/** A misuse of the task engine or pruneScheduler (never a database failure); `code` says which. */
export class TaskEngineError extends Error {
  readonly code: TaskEngineErrorCode;

  constructor(code: TaskEngineErrorCode, message: string) {
    super(message);
    this.name = 'TaskEngineError';
    this.code = code;
  }
}

/** errors.Is(err, ErrGasTooHigh): true when `error` or anything in its cause chain is a TaskDeferred. */
export function isDeferral(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof TaskDeferred) return true;
  }
  return false;
}
