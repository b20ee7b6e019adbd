/** The public API of piri-db. Everything else is internal. */
export { loadConfig, type Config, type DatabaseConfig, type LoadConfigOptions, type PostgresConfig } from './config/load.ts';
export { openDatabases, type Databases, type DatabasesOn, type OpenOptions, type Store, type StoreDatabase } from './stores/open.ts';
export { ManualClock, systemClock, type Clock } from './clock.ts';
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
export * from './queue/runtime/index.ts';
export { decode as decodeEnvelope, encode as encodeEnvelope, EnvelopeError, type Envelope, type EnvelopeTrace } from './queue/envelope.ts';
export * from './scheduler/index.ts';
export { installationStatus, type InstallationStatus, type StoreStatus, type TableStatus } from './stores/status.ts';
export { STORES, STORE_NAMES, type Dialect, type StoreDefinition, type StoreName } from './stores/registry.ts';
export { copyInstallation, type CopyOptions, type CopyReport } from './operations/copy.ts';
export { backupInstallation, type BackupOptions, type BackupReport } from './operations/backup.ts';
export { restoreInstallation, type RestoreOptions, type RestoreReport } from './operations/restore.ts';
export { listDeadLetters, purgeDeadLetters, queueStats, requeueDeadLetters } from './operations/queues.ts';
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
