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
  if (connection.store.name !== 'scheduler') throw new Error(`schedulerSql needs the scheduler store, got ${connection.store.name}`);
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
interface Tx extends Omit<SchedulerTx, 'db'> {}
class Tx {
  readonly #session: SqlSession;
  readonly #made: Partial<Record<keyof typeof ENTITIES, unknown>> = {};

  constructor(session: SqlSession) {
    this.#session = session;
  }

  get db() { return this.#session.db; }

  static {
    // A getter per entity, on the prototype as if written out; the interface above gives them their types.
    for (const name of Object.keys(ENTITIES) as (keyof typeof ENTITIES)[]) {
      Object.defineProperty(Tx.prototype, name, { get(this: Tx) { return (this.#made[name] ??= ENTITIES[name](this.#session)); } });
    }
  }
}
