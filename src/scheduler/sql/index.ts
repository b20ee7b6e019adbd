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
import type { SchedulerErrorKind, SchedulerSql, SchedulerTx } from './types.ts';

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
    return this.dialect.transaction((session) => fn(schedulerTx(session)));
  }

  classifyError(error: unknown): SchedulerErrorKind {
    return this.dialect.classifyError(error);
  }
}

function schedulerTx(db: SqlSession): SchedulerTx {
  return {
    tasks: tasks(db),
    taskHistory: taskHistoryOps(db),
    sessions: sessions(db),
    messageSends: messageSends(db),
    messageSendLocks: messageSendLocks(db),
    messageWaits: messageWaits(db),
    proofSetCreates: proofSetCreates(db),
    proofSets: proofSets(db),
    proveTasks: proveTasks(db),
    pieceCommps: pieceCommps(db),
    parkedPieces: parkedPieceOps(db),
    parkedPieceRefs: parkedPieceRefOps(db),
    pieceRefs: pieceRefs(db),
    pieceUploads: pieceUploads(db),
    roots: roots(db),
    rootAdds: rootAdds(db),
    providerRegistrations: providerRegistrations(db),
    railSettlementWaits: railSettlementWaitOps(db),
    withdrawalWaits: withdrawalWaitOps(db),
  };
}
