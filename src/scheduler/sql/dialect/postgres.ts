/**
 * The scheduler on PostgreSQL (postgres-js, the pool the four stores share). Transactions run concurrently, with no
 * mutex: claims lock candidates FOR UPDATE SKIP LOCKED and require `session_id IS NULL`. Statements name the schema
 * (no search_path) and run prepared. drizzle turns timestamptz parsing off for the whole pool, so times go in as ISO
 * text and come out as epoch ms computed by the server; bigint, jsonb and uuid are read as text.
 */
import { drizzle } from 'drizzle-orm/postgres-js';
import postgres, { type Sql } from 'postgres';
import { postgresSchemas } from '../../../backend/postgres/schemas.ts';
import type { PostgresStoreConnection } from '../../../backend/types.ts';
import type { Fragment, ValueKind } from '../statement.ts';
import { assertNotNested, runInScope, TransactionScope } from '../transaction-scope.ts';
import type { SchedulerErrorKind } from '../types.ts';
import {
  asIs, compiler, type Dialect, driverError, fromJson, nullable, type Renderer, type SqlSession, toBuffer, toInt, toJson,
} from './dialect.ts';

const CASTS: Partial<Record<ValueKind, string>> = {
  int: '::bigint', bool: '::boolean', time: '::timestamptz', timeText: '::timestamptz', json: '::text::jsonb', uuid: '::uuid',
  ints: '::bigint[]', texts: '::text[]',
};

function renderer(schema: string): Renderer {
  return {
    table: (name) => `"${schema}"."${name}"`,
    placeholder: (index, type) => `$${index + 1}${CASTS[type] ?? ''}`,
    anyOf: (list) => `= ANY(${list})`,
    bool: (value) => String(value),
    lock: (of, skipLocked) => ` FOR UPDATE${of ? ` OF ${of}` : ''}${skipLocked ? ' SKIP LOCKED' : ''}`,
    output: (expr, alias, type) => {
      if (type === 'time') return `floor(extract(epoch FROM ${expr}) * 1000)::float8 AS "${alias}"`;
      if (type === 'timeText' || type === 'json' || type === 'uuid') return `${expr}::text AS "${alias}"`;
      return `${expr} AS "${alias}"`;
    },
    reusesParams: true,
    encode: {
      text: asIs, int: asIs, bool: asIs, uuid: asIs, timeText: asIs, ints: asIs, texts: asIs, bytes: toBuffer, json: toJson,
      time: nullable((ms) => new Date(Number(ms)).toISOString()),
    },
    decode: { int: toInt, time: toInt, bool: nullable((value) => value === true), json: fromJson },
  };
}

/** pg_advisory_xact_lock's first key space is the caller's; the second key is hashtext(key). */
const LOCK = 'SELECT pg_advisory_xact_lock($1::int4, hashtext($2))::text AS locked';

export class PostgresDialect implements Dialect {
  readonly #sql: Sql;
  readonly #compiled: ReturnType<typeof compiler>;

  constructor(connection: PostgresStoreConnection) {
    this.#sql = connection.client;
    this.#compiled = compiler(renderer(connection.schema));
  }

  async transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T> {
    assertNotNested(this.#sql);
    // Kept outside: sql.begin would await a returned array as queries, and ours may be any value.
    let result: { value: T } | undefined;
    await this.#sql.begin(async (tsql) => {
      const scope = new TransactionScope(this.#sql);
      const query = async (text: string, values: unknown[]) => {
        scope.assertOpen();
        // Driver boundary: the values are the ones the renderer's encoders produced for these placeholders.
        return tsql.unsafe<Record<string, unknown>[]>(text, values as postgres.ParameterOrJSON<never>[], { prepare: true });
      };
      const pool = this.#sql;
      let db: ReturnType<typeof drizzle<typeof postgresSchemas.scheduler>> | undefined;
      const session: SqlSession = {
        all: async <P, R>(statement: Fragment<P, R>, params: P): Promise<R[]> => {
          const c = this.#compiled(statement);
          const rows = await query(c.text, c.bind(params));
          for (const row of rows) c.decode(row);
          // Driver boundary: the rows' columns are the statement's output aliases, decoded above.
          return rows as unknown as R[];
        },
        get: async (statement, params) => (await session.all(statement, params))[0],
        run: async (statement, params) => {
          const c = this.#compiled(statement);
          return (await query(c.text, c.bind(params))).count;
        },
        lock: async (space, key) => void (await query(LOCK, [space, key])),
        get db() {
          scope.assertOpen();
          // Driver boundary: drizzle runs its queries through the client's unsafe(), and reads the pool's options (its
          // parsers) from it, which a TransactionSql lacks: so the transaction's connection with the pool's options.
          const client: Sql = Object.assign(Object.create(tsql), { options: pool.options });
          return (db ??= drizzle(client, { schema: postgresSchemas.scheduler }));
        },
      };
      try {
        result = { value: await runInScope(scope, () => fn(session)) };
      } finally {
        scope.close();
      }
    });
    return result!.value;
  }

  classifyError(error: unknown): SchedulerErrorKind {
    const code = driverError(error, postgres.PostgresError)?.code;
    return code === '40001' || code === '40P01' || code === '55P03' ? 'lock' : code === '23505' ? 'unique' : 'other';
  }
}
