import type { PostgresConfig } from '../../config/load.ts';
import { redactSecrets, redactUrl, urlSecrets } from '../../config/redact.ts';
import { PiriDbError } from '../../errors.ts';

/** The server could not be reached or refused us: name the server, never the password. */
export function connectionFailed(config: PostgresConfig, error: unknown): PiriDbError {
  const reason = error instanceof Error ? error.message || (error as { code?: string }).code || error.name : String(error);
  return new PiriDbError(
    'OPEN_FAILED',
    `cannot use PostgreSQL at ${redactUrl(config.url)}: ${redactSecrets(reason, urlSecrets(config.url))}`,
  );
}
