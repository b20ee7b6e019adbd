/**
 * The one place that builds the scheduler's SQL layer for a store: the entity modules over the store's dialect. One
 * instance per connection, so everything in the process that asks for the scheduler's SQL shares it (and, on SQLite,
 * its mutex).
 */
import type { StoreConnection } from '../../backend/types.ts';
import type { Store } from '../../stores/open.ts';
import type { Dialect, SqlSession } from './dialect/dialect.ts';
import { PostgresDialect } from './dialect/postgres.ts';
import { SqliteDialect } from './dialect/sqlite.ts';
import { messageSendLocks, messageSends, messageWaits } from './entities/messages.ts';
import { parkedPieceOps, parkedPieceRefOps, pieceCommps, pieceRefs, pieceUploads } from './entities/pieces.ts';
import { proofSetCreates, proofSets, proveTasks } from './entities/proof-sets.ts';
import { providerRegistrations, railSettlementWaitOps, withdrawalWaitOps } from './entities/providers.ts';
import { rootAdds, roots } from './entities/roots.ts';
import { sessions, taskHistoryOps, tasks } from './entities/tasks.ts';
import type {
  MessageSendLockOps,
  MessageSendOps,
  MessageWaitOps,
  ParkedPieceOps,
  ParkedPieceRefOps,
  PieceCommpOps,
  PieceRefOps,
  PieceUploadOps,
  ProofSetCreateOps,
  ProofSetOps,
  ProveTaskOps,
  ProviderRegistrationOps,
  RailSettlementWaitOps,
  RootAddOps,
  RootOps,
  SchedulerErrorKind,
  SchedulerSql,
  SchedulerTx,
  SessionOps,
  TaskHistoryOps,
  TaskOps,
  WithdrawalWaitOps,
} from './types.ts';

export type * from './types.ts';

const instances = new WeakMap<StoreConnection, SchedulerSql>();

/**
 * What the task engine, retention and the PDP flows run on: the scheduler store from openDatabases, or its SQL layer
 * itself (how tests wrap it to inject faults).
 */
export type SchedulerSource = Store<'scheduler'> | SchedulerSql;

export function schedulerSql(source: SchedulerSource | StoreConnection): SchedulerSql {
  if ('transaction' in source) return source;
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

/**
 * One transaction's operations. Each entity's operations are made on first use: a transaction uses one or two of the
 * nineteen, and the task engine runs thousands of transactions a second.
 */
class Tx implements SchedulerTx {
  readonly #db: SqlSession;
  readonly #made = new Map<string, unknown>();

  constructor(db: SqlSession) {
    this.#db = db;
  }

  #ops<T>(name: string, make: (db: SqlSession) => T): T {
    if (!this.#made.has(name)) this.#made.set(name, make(this.#db));
    return this.#made.get(name) as T;
  }

  get tasks(): TaskOps {
    return this.#ops('tasks', tasks);
  }
  get taskHistory(): TaskHistoryOps {
    return this.#ops('taskHistory', taskHistoryOps);
  }
  get sessions(): SessionOps {
    return this.#ops('sessions', sessions);
  }
  get messageSends(): MessageSendOps {
    return this.#ops('messageSends', messageSends);
  }
  get messageSendLocks(): MessageSendLockOps {
    return this.#ops('messageSendLocks', messageSendLocks);
  }
  get messageWaits(): MessageWaitOps {
    return this.#ops('messageWaits', messageWaits);
  }
  get proofSetCreates(): ProofSetCreateOps {
    return this.#ops('proofSetCreates', proofSetCreates);
  }
  get proofSets(): ProofSetOps {
    return this.#ops('proofSets', proofSets);
  }
  get proveTasks(): ProveTaskOps {
    return this.#ops('proveTasks', proveTasks);
  }
  get pieceCommps(): PieceCommpOps {
    return this.#ops('pieceCommps', pieceCommps);
  }
  get parkedPieces(): ParkedPieceOps {
    return this.#ops('parkedPieces', parkedPieceOps);
  }
  get parkedPieceRefs(): ParkedPieceRefOps {
    return this.#ops('parkedPieceRefs', parkedPieceRefOps);
  }
  get pieceRefs(): PieceRefOps {
    return this.#ops('pieceRefs', pieceRefs);
  }
  get pieceUploads(): PieceUploadOps {
    return this.#ops('pieceUploads', pieceUploads);
  }
  get roots(): RootOps {
    return this.#ops('roots', roots);
  }
  get rootAdds(): RootAddOps {
    return this.#ops('rootAdds', rootAdds);
  }
  get providerRegistrations(): ProviderRegistrationOps {
    return this.#ops('providerRegistrations', providerRegistrations);
  }
  get railSettlementWaits(): RailSettlementWaitOps {
    return this.#ops('railSettlementWaits', railSettlementWaitOps);
  }
  get withdrawalWaits(): WithdrawalWaitOps {
    return this.#ops('withdrawalWaits', withdrawalWaitOps);
  }
}
