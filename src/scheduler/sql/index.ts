/** Builds the scheduler's SQL layer once per connection, so the whole process shares it (and SQLite's mutex). */
import type { StoreConnection } from '../../backend/types.ts';
import type { Services } from '../../services.ts';
import type { Dialect, SqlSession } from './dialect/dialect.ts';
import { PostgresDialect } from './dialect/postgres.ts';
import { SqliteDialect } from './dialect/sqlite.ts';
import { ENTITIES } from './entities/index.ts';
import type { SchedulerErrorKind, SchedulerSql, SchedulerTx } from './types.ts';

export type * from './types.ts';

const instances = new WeakMap<StoreConnection, SchedulerSql>();

/** What the scheduler runs on: `dbs.scheduler` from openDatabases, or its SQL layer (how tests inject faults). */
export type SchedulerSource = { readonly connection: StoreConnection; readonly services?: Services } | SchedulerSql;

export function schedulerSql(source: SchedulerSource | StoreConnection): SchedulerSql {
  if (!('connection' in source) && 'classifyError' in source) return source;
  const connection = 'connection' in source ? source.connection : source;
  if (connection.store.name !== 'scheduler') {
    throw new Error(`schedulerSql needs the scheduler store, got ${connection.store.name}`);
  }
  let sql = instances.get(connection);
  if (!sql) {
    sql = new DialectSchedulerSql(connection.dialect === 'sqlite' ? new SqliteDialect(connection) : new PostgresDialect(connection));
    instances.set(connection, sql);
  }
  return sql;
}

class DialectSchedulerSql implements SchedulerSql {
  constructor(readonly dialect: Dialect) {}

  transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T> {
    return this.dialect.transaction((session) => fn(new Tx(session)));
  }

  classifyError(error: unknown): SchedulerErrorKind {
    return this.dialect.classifyError(error);
  }
}

/** Each entity's operations are made on first use: a transaction uses one or two of nineteen, thousands a second. */
class Tx implements SchedulerTx {
  readonly #db: SqlSession;
  readonly #made: Partial<Omit<SchedulerTx, 'db'>> = {};

  constructor(db: SqlSession) {
    this.#db = db;
  }

  #ops<K extends keyof typeof ENTITIES>(name: K): SchedulerTx[K] {
    // cast: ENTITIES[K] makes SchedulerTx[K] (that is how SchedulerTx is defined), which the compiler cannot correlate.
    return (this.#made[name] ??= ENTITIES[name](this.#db) as SchedulerTx[K]);
  }

  get tasks() { return this.#ops('tasks'); }
  get taskHistory() { return this.#ops('taskHistory'); }
  get sessions() { return this.#ops('sessions'); }
  get messageSends() { return this.#ops('messageSends'); }
  get messageSendLocks() { return this.#ops('messageSendLocks'); }
  get messageWaits() { return this.#ops('messageWaits'); }
  get proofSetCreates() { return this.#ops('proofSetCreates'); }
  get proofSets() { return this.#ops('proofSets'); }
  get proveTasks() { return this.#ops('proveTasks'); }
  get pieceCommps() { return this.#ops('pieceCommps'); }
  get parkedPieces() { return this.#ops('parkedPieces'); }
  get parkedPieceRefs() { return this.#ops('parkedPieceRefs'); }
  get pieceRefs() { return this.#ops('pieceRefs'); }
  get pieceUploads() { return this.#ops('pieceUploads'); }
  get roots() { return this.#ops('roots'); }
  get rootAdds() { return this.#ops('rootAdds'); }
  get providerRegistrations() { return this.#ops('providerRegistrations'); }
  get railSettlementWaits() { return this.#ops('railSettlementWaits'); }
  get withdrawalWaits() { return this.#ops('withdrawalWaits'); }
  get db() { return this.#db.db; }
}
