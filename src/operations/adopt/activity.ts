/**
 * Nothing may write while adopt changes an installation, and Piri takes none of piri-db's locks, so adopt looks for
 * anyone using the installation itself, and says what it saw.
 *
 * SQLite: Piri keeps every store file open in WAL mode for as long as it runs. Leaving WAL needs the only
 * connection to the file, so `journal_mode = DELETE` fails with SQLITE_BUSY while any other process has the file
 * open, even idle. That probe is the real test; on Linux the processes holding the file are named from /proc.
 * Once it passed, the connection keeps the file to itself (locking_mode EXCLUSIVE) until adopt is done.
 *
 * Postgres: Piri's pools stay connected while it runs; every other client session on the database is listed
 * from pg_stat_activity, and adopt refuses while there is one.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { Sql, TransactionSql } from 'postgres';
import { sqliteStoreFile } from '../../backend/sqlite/file.ts';
import { errorCode } from '../../narrow.ts';
import { OperationError } from '../../errors.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';

/** Processes other than this one with one of `files` (or its -wal/-shm) open; empty where /proc cannot tell. */
export function processesHolding(files: readonly string[]): string[] {
  const wanted = new Set(files.flatMap((f) => [f, `${f}-wal`, `${f}-shm`]));
  const seen: string[] = [];
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid);
  } catch {
    return [];
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    const open = new Set<string>();
    for (const fd of fds) {
      try {
        const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
        if (wanted.has(target)) open.add(target);
      } catch {
        // closed meanwhile
      }
    }
    if (open.size > 0) seen.push(`process ${pid} (${command(pid)}) has ${[...open].join(', ')} open`);
  }
  return seen;
}

function command(pid: string): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return 'unknown';
  }
}

function inUse(file: string, why: string): OperationError {
  const holders = processesHolding([file]);
  return new OperationError(
    'SOURCE_NOT_READY',
    `${file} is in use by another process (${why})${holders.length > 0 ? `: ${holders.join('; ')}` : ''}; ` +
      'stop Piri (and anything else using the installation) and run adopt again; nothing was changed',
  );
}

/**
 * A store file adopt has proved nobody else has open. It stays in rollback-journal mode, and is not locked yet, so
 * that the backup can read it; `hold` then locks it for adopt alone, refusing if anyone opened or wrote it meanwhile.
 * `release` puts it back in WAL mode, the mode Piri and piri-db run it in.
 */
export interface AloneFile {
  readonly file: string;
  readonly client: Database.Database;
  hold(): void;
  release(): void;
}

/** Proves a store's file has no other connection, or refuses, naming who has it open. */
export function provedAlone(dataDir: string, store: StoreDefinition): AloneFile {
  const file = sqliteStoreFile(dataDir, store);
  const client = new Database(file, { fileMustExist: true });
  let dataVersion: unknown;
  try {
    client.pragma('busy_timeout = 0');
    try {
      client.pragma('journal_mode = DELETE');
    } catch (error) {
      if (errorCode(error) === 'SQLITE_BUSY') throw inUse(file, 'SQLite cannot get it to itself');
      throw error;
    }
    dataVersion = client.pragma('data_version', { simple: true });
  } catch (error) {
    client.close();
    throw error;
  }
  return {
    file,
    client,
    hold() {
      client.pragma('locking_mode = EXCLUSIVE');
      try {
        // The first write transaction takes the lock that EXCLUSIVE mode then keeps until the connection closes.
        client.exec('BEGIN EXCLUSIVE; COMMIT');
      } catch (error) {
        if (errorCode(error) === 'SQLITE_BUSY') throw inUse(file, 'it was opened during the backup');
        throw error;
      }
      // A process that opened the file meanwhile switched it back to WAL; one that wrote changed its data version.
      if (client.pragma('journal_mode', { simple: true }) !== 'delete') throw inUse(file, 'it was opened during the backup');
      if (client.pragma('data_version', { simple: true }) !== dataVersion) throw inUse(file, 'it was written during the backup');
    },
    release() {
      try {
        client.pragma('journal_mode = WAL');
      } catch {
        // Someone else has it open after all: Piri and piri-db switch it to WAL themselves when they open it.
      }
      client.close();
    },
  };
}

/** A look that changes nothing (for --dry-run): the processes /proc shows with a store file open. */
export function sqliteActivity(dataDir: string, stores: readonly StoreDefinition[]): string[] {
  return processesHolding(stores.map((s) => sqliteStoreFile(dataDir, s)));
}

interface SessionRow {
  pid: number;
  usename: string | null;
  application_name: string;
  client_addr: string | null;
  state: string | null;
  backend_start: Date | null;
}

/** Every other client session on the database, in words. */
export async function postgresActivity(sql: Sql | TransactionSql): Promise<string[]> {
  const rows = await sql<SessionRow[]>`
    SELECT pid, usename, application_name, host(client_addr) AS client_addr, state, backend_start FROM pg_stat_activity
    WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'
    ORDER BY pid`;
  return rows.map((r) =>
    [
      `session ${r.pid}`,
      r.usename ? `user ${r.usename}` : undefined,
      r.application_name ? `application ${r.application_name}` : undefined,
      r.client_addr ? `from ${r.client_addr}` : undefined,
      r.state ? `state ${r.state}` : undefined,
      r.backend_start ? `connected since ${r.backend_start.toISOString()}` : undefined,
    ]
      .filter((p) => p !== undefined)
      .join(', '),
  );
}

export function assertIdle(location: string, seen: readonly string[]): void {
  if (seen.length === 0) return;
  throw new OperationError(
    'SOURCE_NOT_READY',
    `${location} is in use: ${seen.join('; ')}. Stop Piri (and anything else using the installation) and run adopt again; nothing was changed`,
  );
}
