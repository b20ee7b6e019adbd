import type { PostgresConfig } from '../../config/load.ts';
import { redactSecrets, redactUrl, urlSecrets } from '../../config/redact.ts';
import { PiriDbError, QueueError } from '../../errors.ts';
import { errorCode } from '../../narrow.ts';

/** The server could not be reached or refused us: name the server, never the password. */
export function connectionFailed(config: PostgresConfig, error: unknown): PiriDbError {
  const reason = error instanceof Error ? error.message || errorCode(error) || error.name : String(error);
  return new PiriDbError(
    'OPEN_FAILED',
    `cannot use PostgreSQL at ${redactUrl(config.url)}: ${redactSecrets(reason, urlSecrets(config.url))}`,
  );
}

/** SQLSTATEs of a transaction the server aborted so that others could go on: the same call can simply run again. */
const RETRYABLE: Readonly<Record<string, string>> = {
  '40P01': 'to break a deadlock',
  '40001': 'on a serialization conflict',
};

/**
 * A queue operation the server aborted (deadlock, serialization failure) as a QueueError that says so; every
 * operation is one transaction, so nothing of it was written. Other errors pass unchanged.
 */
export function retryableQueueError(operation: string, error: unknown): unknown {
  const code = errorCode(error);
  const why = code === undefined ? undefined : RETRYABLE[code];
  if (why === undefined) return error;
  return new QueueError('RETRYABLE', `${operation}: PostgreSQL aborted it ${why} (${code}); nothing was queued or changed: retry the call`, {
    cause: error,
  });
}
