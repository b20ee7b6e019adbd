/**
 * The operations' own small pool: not the application's (openPostgresPool), so its sessions carry their own
 * application_name and are never mistaken for a running piri instance; never wrapped in drizzle, which would
 * change how postgres-js parses values.
 */
import postgres, { type Sql } from 'postgres';
import { connectionFailed } from '../../backend/postgres/errors.ts';
import type { PostgresConfig } from '../../config/load.ts';
import { redactSecrets, urlSecrets } from '../../config/redact.ts';
import { OperationError, PiriDbError } from '../../errors.ts';

export const OPERATIONS_APPLICATION_NAME = 'piri-db operations';

/** Opens a pool and proves the server answers; an unreachable server is one redacted line. */
export async function openOperationsPool(config: PostgresConfig, max: number): Promise<Sql> {
  const sql = postgres(config.url, {
    max,
    idle_timeout: 0,
    prepare: config.preparedStatements,
    onnotice: () => {},
    connection: { application_name: OPERATIONS_APPLICATION_NAME },
  });
  try {
    await sql`SELECT 1`;
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw connectionFailed(config, error);
  }
  return sql;
}

/** A failed statement, with what we were doing and without any secret of the URL. */
export function statementFailed(config: PostgresConfig, doing: string, error: unknown): PiriDbError {
  if (error instanceof PiriDbError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new OperationError('OPERATION_FAILED', `${doing}: ${redactSecrets(reason, urlSecrets(config.url))}`, { cause: error });
}

/** The server's major version, e.g. 18. */
export async function serverMajor(sql: Sql): Promise<number> {
  const [row] = await sql<{ v: string }[]>`SELECT current_setting('server_version_num') AS v`;
  return Math.floor(Number(row!.v) / 10_000);
}

/** Sessions of running piri instances (openPostgresPool names them 'piri-db') on the database, ours excluded. */
export async function applicationSessions(sql: Sql): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    SELECT count(*)::int AS n FROM pg_stat_activity
    WHERE datname = current_database() AND application_name = 'piri-db' AND pid <> pg_backend_pid()`;
  return row!.n;
}
