/**
 * Every error piri-db raises on purpose is a PiriDbError with a stable `code`, so callers and the CLI can
 * tell "your configuration is wrong" from "the database refused" without parsing messages.
 * Messages never contain a password: anything that may carry a connection URL goes through redact().
 */
export type PiriDbErrorCode =
  | 'CONFIG_INVALID'
  | 'BACKEND_MISMATCH'
  /** The data dir's backend marker, piri-db.json, cannot be read as one. */
  | 'MARKER_DAMAGED'
  | 'DATA_DIR_LOCKED'
  | 'MIGRATION_FAILED'
  /** Another process held the Postgres migration lock for longer than this boot waits. */
  | 'MIGRATION_LOCK_TIMEOUT'
  | 'DATABASE_TOO_NEW'
  | 'SCHEMA_INCOMPLETE'
  | 'OPEN_FAILED'
  /** An open store's file or disk failed under an operation: disk full, I/O error, damaged file, read-only. */
  | 'STORAGE_FAILED'
  | 'INVALID_ARGUMENT'
  | 'MESSAGE_NOT_FOUND'
  | 'QUEUE_UNAVAILABLE'
  /** The database aborted the call to break a deadlock or a serialization conflict: nothing changed; call again. */
  | 'RETRYABLE'
  | 'TARGET_NOT_EMPTY'
  | 'SOURCE_NOT_READY'
  | 'VERIFY_FAILED'
  | 'BACKUP_INVALID'
  /** A statement on the scheduler's SQLite connection from outside the scheduler transaction open on it. */
  | 'TRANSACTION_OPEN'
  | 'OPERATION_FAILED';

/** The base class of every error piri-db raises on purpose; branch on `code` (or the subclass), not on the message. */
export class PiriDbError extends Error {
  readonly code: PiriDbErrorCode;

  constructor(code: PiriDbErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
  }
}

/** A configuration value is missing or invalid; `key` is the TOML key, e.g. `repo.database.postgres.url`. */
export class ConfigError extends PiriDbError {
  readonly key: string;

  constructor(key: string, problem: string) {
    super('CONFIG_INVALID', `invalid configuration ${key}: ${problem}`);
    this.key = key;
  }
}

/**
 * The data dir was set up for the other backend (its marker or its SQLite files say so); piri-db refuses to start
 * rather than run a second, empty installation.
 */
export class BackendMismatchError extends PiriDbError {
  constructor(message: string) {
    super('BACKEND_MISMATCH', message);
  }
}

/** The backend marker is damaged: empty, not JSON, the wrong shape, a directory, or unreadable. */
export class MarkerError extends PiriDbError {
  constructor(message: string, options?: { cause?: unknown }) {
    super('MARKER_DAMAGED', message, options);
  }
}

/**
 * Another process is already writing this data dir (one writing instance per installation); stop it or use another data
 * dir.
 */
export class DataDirLockedError extends PiriDbError {
  constructor(message: string) {
    super('DATA_DIR_LOCKED', message);
  }
}

/**
 * Migrating a store failed, timed out waiting for another process's migrations, found a database newer than this
 * piri-db, or left an expected table or trigger missing; `code` says which.
 */
export class MigrationError extends PiriDbError {
  constructor(
    code: 'MIGRATION_FAILED' | 'MIGRATION_LOCK_TIMEOUT' | 'DATABASE_TOO_NEW' | 'SCHEMA_INCOMPLETE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * A queue refused a call: a bad argument (the message names it), a message that is not there (Piri's text
 * `message <id> not found in queue <q>`), a queue the store has no tables for, or a call the database aborted to
 * break a deadlock (RETRYABLE: nothing was changed, and the same call may simply be made again).
 */
export class QueueError extends PiriDbError {
  constructor(
    code: 'INVALID_ARGUMENT' | 'MESSAGE_NOT_FOUND' | 'QUEUE_UNAVAILABLE' | 'RETRYABLE',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}

/**
 * An operator command (copy, backup, restore, doctor) refused or failed: a target that is not empty, a source
 * with pending migrations, a verification mismatch, an incomplete or altered backup.
 */
export class OperationError extends PiriDbError {
  constructor(
    code: 'TARGET_NOT_EMPTY' | 'SOURCE_NOT_READY' | 'VERIFY_FAILED' | 'BACKUP_INVALID' | 'OPERATION_FAILED',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
  }
}
