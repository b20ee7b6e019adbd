/** The worker runtime's public surface. */
export {
  createJobQueue,
  DEFAULT_STOP_TIMEOUT_MS,
  type EnqueueOptions,
  type JobQueue,
  type RegisterOptions,
  type StopOptions,
} from './job-queue.ts';
export type { FailureHandler, JobContext, JobHandler } from './executor.ts';
export type { JobEvent, JobQueueEventName, JobQueueEvents, JobQueueListener } from './events.ts';
export type { JobQueueOptions } from './options.ts';
export { DEFAULT_BACKOFF, backoffDelay, type BackoffOptions } from './backoff.ts';
export { isPermanentError, JobQueueStateError, PermanentError, StopTimeoutError } from './errors.ts';
export type { JobQueueLogger, LogFields } from '../../logger.ts';
export { DEFAULT_SHUTDOWN_BUDGET_MS, type ShutdownOptions, stopOnSignals } from './shutdown.ts';
