/**
 * The scheduler on SQLite (better-sqlite3, ONE connection per store file, shared by the process). better-sqlite3
 * transactions must be synchronous, but ours await user code (AddTask's `extra`): so BEGIN IMMEDIATE ... COMMIT is
 * held across awaits, behind one FIFO mutex per connection, and a statement issued on the connection directly
 * meanwhile would land inside it. Times are stored as schema/sqlite/columns.ts writes them: UTC text, in time order.
 */
import Database from 'better-sqlite3';
import { formatSqliteTime, parseSqliteTime } from '../../../../schema/sqlite/columns.ts';
import { drizzle } from 'drizzle-orm/better-sqlite3';
import { storageError } from '../../../backend/sqlite/errors.ts';
import { sqliteSchemas } from '../../../backend/sqlite/schemas.ts';
import { guardedClient, guardStatements } from '../../../backend/sqlite/statement-guard.ts';
import type { SqliteStoreConnection } from '../../../backend/types.ts';
import type { Fragment } from '../statement.ts';
import { AsyncMutex, assertNoForeignTransaction, assertNotNested, runInScope, TransactionScope } from '../transaction-scope.ts';
import type { SchedulerErrorKind } from '../types.ts';
import {
  asIs, compiler, type Dialect, driverError, fromJson, nullable, type Renderer, type SqlSession, toBuffer, toInt, toJson,
} from './dialect.ts';

type Client = Database.Database;

const renderer: Renderer = {
  table: (name) => name,
  placeholder: () => '?',
  anyOf: (list) => `IN (SELECT value FROM json_each(${list}))`,
  bool: (value) => (value ? '1' : '0'),
  lock: () => '',
  output: (expr, alias) => `${expr} AS "${alias}"`,
  reusesParams: false,
  encode: {
    text: asIs, int: asIs, uuid: asIs, timeText: asIs, bytes: toBuffer, json: toJson, ints: toJson, texts: toJson,
    bool: nullable((value) => (value ? 1 : 0)),
    time: nullable((ms) => formatSqliteTime(new Date(Number(ms)))),
  },
  decode: {
    int: toInt, json: fromJson,
    bool: nullable((value) => Number(value) === 1),
    time: nullable((text) => parseSqliteTime(String(text)).getTime()),
  },
};

const compiled = compiler(renderer);

/** One mutex, one statement cache and one drizzle instance per better-sqlite3 Database. */
interface ConnectionState {
  readonly mutex: AsyncMutex;
  readonly statements: Map<string, Database.Statement>;
  readonly db: ReturnType<typeof schedulerDrizzle>;
}

const schedulerDrizzle = (client: Client) => drizzle(guardedClient(client), { schema: sqliteSchemas.scheduler });

const connections = new WeakMap<Client, ConnectionState>();

export class SqliteDialect implements Dialect {
  readonly #connection: SqliteStoreConnection;
  readonly #state: ConnectionState;

  constructor(connection: SqliteStoreConnection) {
    this.#connection = connection;
    const client = connection.client;
    let state = connections.get(client);
    if (!state) {
      connections.set(client, (state = { mutex: new AsyncMutex(), statements: new Map(), db: schedulerDrizzle(client) }));
      guardStatements(client, () => assertNoForeignTransaction(client, 'dbs.scheduler.db'));
    }
    this.#state = state;
  }

  /** A file-level failure (disk full, I/O error, damaged file) names the scheduler's file, as the queues do. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    return this.#transaction(fn).catch((error: unknown) => Promise.reject(storageError(this.#connection, error)));
  }

  async #transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    const client = this.#connection.client;
    assertNotNested(client);
    const release = await this.#state.mutex.lock();
    const scope = new TransactionScope(client);
    try {
      client.exec('BEGIN IMMEDIATE');
      const result = await runInScope(scope, () => fn(this.#session(scope)));
      scope.close();
      if (!client.inTransaction) throw new Error('scheduler transaction was rolled back by SQLite before COMMIT');
      client.exec('COMMIT');
      return result;
    } catch (error) {
      if (client.inTransaction) client.exec('ROLLBACK');
      throw error;
    } finally {
      scope.close();
      release();
    }
  }

  classifyError(error: unknown): SchedulerErrorKind {
    const code = driverError(error, Database.SqliteError)?.code ?? '';
    if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'lock';
    return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY' ? 'unique' : 'other';
  }

  #session(scope: TransactionScope): SqlSession {
    const state = this.#state;
    const prepare = (statement: Fragment<unknown, unknown>) => {
      scope.assertOpen();
      const c = compiled(statement);
      let prepared = state.statements.get(c.text);
      if (!prepared) state.statements.set(c.text, (prepared = this.#connection.client.prepare(c.text)));
      return { c, prepared };
    };
    return {
      all: async <P, R>(statement: Fragment<P, R>, params: P) => {
        const { c, prepared } = prepare(statement);
        return decoded<R>(c.decode, prepared.all(...c.bind(params)));
      },
      get: async <P, R>(statement: Fragment<P, R>, params: P) => {
        const { c, prepared } = prepare(statement);
        const row = prepared.get(...c.bind(params));
        return row === undefined ? undefined : decoded<R>(c.decode, [row])[0];
      },
      run: async (statement, params) => {
        const { c, prepared } = prepare(statement);
        return prepared.run(...c.bind(params)).changes;
      },
      lock: async () => scope.assertOpen(),
      get db() {
        scope.assertOpen();
        return state.db;
      },
    };
  }
}

/** Driver boundary: better-sqlite3 rows are plain objects whose columns are the statement's output aliases. */
function decoded<R>(decode: (row: Record<string, unknown>) => void, rows: unknown[]): R[] {
  for (const row of rows) decode(row as Record<string, unknown>);
  return rows as R[];
}
