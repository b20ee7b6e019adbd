/** The public API of piri-db. Everything else is internal. */
export { loadConfig, type Config, type DatabaseConfig, type LoadConfigOptions, type PostgresConfig } from './config/load.ts';
export {
  openDatabases,
  type Databases,
  type DatabasesOn,
  type OpenOptions,
  type SchedulerStore,
  type Store,
  type StoreDatabase,
} from './stores/open.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
export type { Services } from './services.ts';
export type { DedupQueueOverrides, QueueOverrides } from './queue/settings.ts';
export type {
  Claim,
  DeadLetter,
  DeadLetterFilter,
  DeadLetterInput,
  DeadLetterReason,
  DedupeSettings,
  DedupQueueSettings,
  QueueSettings,
  QueueStats,
  QueueStore,
  ReceivedMessage,
  SendOptions,
} from './queue/types.ts';
export { MAX_BODY_BYTES, MAX_NAME_BYTES } from './queue/arguments.ts';
export type { Watch, Watcher } from './queue/wakeups/signals.ts';
export * from './queue/runtime/index.ts';
export { decode as decodeEnvelope, encode as encodeEnvelope, EnvelopeError, type Envelope, type EnvelopeTrace } from './queue/envelope.ts';
export { TaskDeferred, TaskEngineError, type TaskEngineErrorCode } from './scheduler/errors.ts';
export type { LockRetryOptions } from './scheduler/lock-retry.ts';
export {
  DEFAULT_PRUNE_BATCH_SIZE,
  pruneScheduler,
  type PruneSchedulerOptions,
  type PruneSchedulerResult,
} from './scheduler/retention.ts';
export {
  type AddTaskExtra,
  type AddTaskResult,
  type FinishEffect,
  type LapsedSessions,
  type StopResult,
  TaskEngine,
  type TaskEngineEvent,
  type TaskEngineOptions,
  type TaskEngineState,
} from './scheduler/task-engine.ts';
export { MAX_TASK_NAME_LENGTH, type TaskContext, type TaskResult, type TaskType } from './scheduler/task-types.ts';
// The transaction an AddTaskExtra writes in, and the rows the PDP flows return; the SQL layer behind them is internal.
export type {
  CommpEntry,
  MessageSendRow,
  MessageWaitRow,
  ParkedPieceRefRow,
  ParkedPieceRow,
  PieceRefRow,
  PieceUploadRow,
  ProofSetCreateRow,
  ProofSetRow,
  ProviderRegistrationRow,
  RailSettlementWaitRow,
  RootMessage,
  RootRow,
  SchedulerDatabase,
  SchedulerTx,
  SubrootPiece,
  WaitConfirmation,
  WithdrawalWaitRow,
} from './scheduler/sql/types.ts';
export type { SchedulerSource } from './scheduler/sql/index.ts';
export { pdpFlows, type PdpFlows } from './scheduler/pdp/index.ts';
export {
  PDP_INIT_PP_TASK,
  PDP_PROVE_TASK,
  PDP_PROVING_PERIOD_TASK,
  type PdpOptions,
  PIRI_SERVICE,
  SEND_TRANSACTION_TASK,
} from './scheduler/pdp/context.ts';
export { PdpError, type PdpErrorCode } from './scheduler/pdp/errors.ts';
export {
  type Confirmation,
  type NonceLockResult,
  PdpMessages,
  type SendRequest,
  type SendStatus,
  type SignedSend,
  type Signer,
  WATCH_LIMIT,
} from './scheduler/pdp/messages.ts';
export { type AllocateUploadRequest, type ParkedPiece, type ParkPieceRequest, PdpPieces } from './scheduler/pdp/pieces.ts';
export { type MaterialiseProofSetResult, PdpProofSets, type ProofSetCreateStatus } from './scheduler/pdp/proof-sets.ts';
export { type PaymentWaitCheck, type PaymentWaitStatus, PdpProviders } from './scheduler/pdp/providers.ts';
export { PdpProving, type ProofSetState, type RootCleanup, type ScheduledProve } from './scheduler/pdp/proving.ts';
export { PdpRoots, type RootDuplicates, type RootRequest, type SubrootRequest } from './scheduler/pdp/roots.ts';
export { installationStatus, type InstallationStatus, type StoreStatus, type TableStatus } from './stores/status.ts';
export { STORES, STORE_NAMES, type Dialect, type QueueDefinition, type StoreDefinition, type StoreName } from './catalog/registry.ts';
export { copyInstallation, type CopyOptions, type CopyReport } from './operations/copy.ts';
export { backupInstallation, type BackupOptions, type BackupReport } from './operations/backup.ts';
export { restoreInstallation, type RestoreOptions, type RestoreReport } from './operations/restore.ts';
export {
  adoptInstallation,
  type AdoptedTable,
  type AdoptOptions,
  type AdoptReport,
  type StoreAdoption,
} from './operations/adopt/index.ts';
export {
  type DeadLetterActionReport,
  type DeadLetterEntry,
  type DeadLetterReport,
  type DeadLetterSelection,
  listDeadLetters,
  purgeDeadLetters,
  type PurgeSelection,
  type QueueOperationOptions,
  type QueueSelection,
  queueStats,
  type QueueStatsEntry,
  type QueueStatsReport,
  requeueDeadLetters,
} from './operations/queues.ts';
export { runDoctor, type CheckStatus, type DoctorCheck, type DoctorOptions, type DoctorReport } from './operations/doctor.ts';
export type { BackupManifest, BackupMethod } from './operations/manifest.ts';
export type { Progress, ProgressListener } from './operations/progress.ts';
export type { TableReport } from './operations/transfer.ts';
export {
  BackendMismatchError,
  ConfigError,
  DataDirLockedError,
  MarkerError,
  MigrationError,
  OperationError,
  PiriDbError,
  type PiriDbErrorCode,
  QueueError,
} from './errors.ts';
