/** The scheduler store's engine, retention and SQL layer. */
export { TaskDeferred, TaskEngineError, type TaskEngineErrorCode } from './errors.ts';
export type { LockRetryOptions } from './lock-retry.ts';
export {
  pruneScheduler,
  DEFAULT_PRUNE_BATCH_SIZE,
  type PruneSchedulerOptions,
  type PruneSchedulerResult,
} from './retention.ts';
export { uuidv7 } from './session-id.ts';
export { schedulerSql } from './sql/index.ts';
export type * from './sql/types.ts';
export {
  TaskEngine,
  type AddTaskExtra,
  type AddTaskResult,
  type FinishEffect,
  type LapsedSessions,
  type StopResult,
  type TaskEngineEvent,
  type TaskEngineOptions,
  type TaskEngineState,
} from './task-engine.ts';
export { MAX_TASK_NAME_LENGTH, type TaskContext, type TaskResult, type TaskType } from './task-types.ts';
export * from './pdp/index.ts';
