/**
 * A Postgres installation being filled by copy or restore: a small pool of its own; each table is loaded in
 * one transaction, by COPY, with the table's user triggers disabled inside that transaction (ALTER TABLE is
 * transactional, so a crash leaves them enabled, with the table empty).
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from 'postgres';
import { shippedMigrations, type AppliedMigration, type Migration } from '../../backend/migrations.ts';
import { applyPending, JOURNAL_SCHEMA, migratePostgres, planPostgres, readPostgresJournal } from '../../backend/postgres/migrate.ts';
import type { PostgresConfig } from '../../config/load.ts';
import { redactSecrets, redactUrl, urlSecrets } from '../../config/redact.ts';
import { errorMessage } from '../../narrow.ts';
import { OperationError } from '../../errors.ts';
import { type StoreDefinition, type StoreName, STORES } from '../../catalog/registry.ts';
import type { AppTableSpec, TableSpec } from '../catalog.ts';
import { type TableDigest, TableDigester } from '../digest.ts';
import { appTableFailed, type LoadTarget, type SequenceMark } from '../endpoints.ts';
import type { RawRow, RawValue } from '../values.ts';
import { applicationSessions, openOperationsPool, statementFailed } from './pool.ts';
import { schemaOf } from './snapshot.ts';
import * as q from './sql.ts';

/** Refuses a database piri is connected to: it would write beside the load (SQLite targets hold the writer lock). */
export async function openPostgresTarget(config: PostgresConfig): Promise<PostgresTarget> {
  const sql = await openOperationsPool(config, 2);
  const sessions = await applicationSessions(sql).catch(async (error: unknown) => {
    await sql.end({ timeout: 1 });
    throw statementFailed(config, 'cannot inspect the target', error);
  });
  if (sessions > 0) {
    await sql.end({ timeout: 5 });
    throw new OperationError(
      'TARGET_NOT_EMPTY',
      `${sessions} piri-db session(s) are connected to ${redactUrl(config.url)}: stop piri there before loading data into it`,
    );
  }
  return new PostgresTarget(config, sql);
}

export class PostgresTarget implements LoadTarget {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly emptyingHint = `run DROP SCHEMA ${[...STORES.map((s) => s.pgSchema), JOURNAL_SCHEMA].join(', ')} CASCADE in that database, or use a new database`;

  constructor(
    readonly config: PostgresConfig,
    readonly sql: Sql,
  ) {
    this.location = redactUrl(config.url);
  }

  async occupied(): Promise<readonly string[]> {
    const found: string[] = [];
    for (const store of STORES) {
      for (const table of await this.tableNames(store)) {
        const any = await this.sql.unsafe(q.anyRow(store.pgSchema, table));
        if (any.length > 0) found.push(`${store.name}.${table}`);
      }
    }
    return found;
  }

  async journal(store: StoreDefinition): Promise<readonly AppliedMigration[]> {
    return readPostgresJournal(this.sql, store);
  }

  async tableNames(store: StoreDefinition): Promise<readonly string[]> {
    return (await this.sql.unsafe<{ table_name: string }[]>(q.TABLE_NAMES, [store.pgSchema])).map((r) => r.table_name);
  }

  async createAppTables(tables: readonly AppTableSpec[]): Promise<void> {
    if (tables.length === 0) return;
    const conn = await this.sql.reserve();
    try {
      await conn.unsafe('BEGIN');
      for (const table of tables) {
        try {
          for (const statement of table.definition) await conn.unsafe(statement);
        } catch (error) {
          throw appTableFailed(table, this.location, new Error(redactSecrets(errorMessage(error), urlSecrets(this.config.url))));
        }
      }
      await conn.unsafe('COMMIT');
    } catch (error) {
      await conn.unsafe('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      conn.release();
    }
  }

  async migrate(wanted: ReadonlyMap<StoreName, readonly Migration[]>): Promise<void> {
    const everything = STORES.every((s) => (wanted.get(s.name)?.length ?? 0) === shippedMigrations('postgres', s).length);
    if (everything) {
      await migratePostgres(this.sql, STORES);
      return;
    }
    // An older backup: its migrations only; the application's next boot applies the rest.
    await this.sql.begin(async (tx) => {
      for (const store of STORES) {
        const { applied } = await planPostgres(tx, store);
        await applyPending(tx, store, { applied, pending: (wanted.get(store.name) ?? []).slice(applied.length) });
      }
    });
  }

  async load(table: TableSpec, batches: AsyncIterable<RawRow[]>, onRows: (rows: number) => void): Promise<number> {
    const schema = schemaOf(table);
    const conn = await this.sql.reserve();
    let loaded = 0;
    async function* text(): AsyncIterable<string> {
      for await (const rows of batches) {
        yield q.copyText(rows);
        loaded += rows.length;
        onRows(rows.length);
      }
    }
    try {
      await conn.unsafe('BEGIN');
      const triggers = (await conn.unsafe<{ table: string }[]>(q.USER_TRIGGERS, [schema])).filter((t) => t.table === table.name);
      if (triggers.length > 0) await conn.unsafe(q.disableTriggers(schema, table.name));
      await pipeline(Readable.from(text()), await conn.unsafe(q.copyInto(schema, table)).writable());
      if (triggers.length > 0) await conn.unsafe(q.enableTriggers(schema, table.name));
      await conn.unsafe('COMMIT');
    } catch (error) {
      await conn.unsafe('ROLLBACK').catch(() => {});
      throw statementFailed(this.config, `loading ${table.store}.${table.name}`, error);
    } finally {
      conn.release();
    }
    return loaded;
  }

  async setSequences(table: TableSpec, marks: readonly SequenceMark[]): Promise<void> {
    const name = q.qualified(schemaOf(table), table.name);
    for (const mark of marks) {
      // setval(1, false): the next id is 1; setval(n, true): the next id is n + 1.
      const used = BigInt(mark.value) >= 1n;
      await this.sql.unsafe(q.SET_SEQUENCE, [name, mark.column, used ? mark.value : '1', used]);
    }
  }

  async digest(table: TableSpec): Promise<TableDigest> {
    const digester = new TableDigester('postgres', table);
    const conn = await this.sql.reserve();
    try {
      await conn.unsafe('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      // Every column is read as a RawValue (postgres/sql.ts, selectRows).
      const cursor = conn.unsafe<Record<string, RawValue>[]>(q.selectRows(schemaOf(table), table)).values().cursor(1000);
      for await (const rows of cursor) digester.add(rows);
      await conn.unsafe('COMMIT');
    } finally {
      conn.release();
    }
    return digester.digest();
  }

  async problems(store: StoreDefinition): Promise<readonly string[]> {
    return postgresProblems(this.sql, store);
  }

  async close(): Promise<void> {
    await this.sql.end({ timeout: 5 });
  }
}

/** The registry's triggers present and enabled, every constraint validated. */
export async function postgresProblems(sql: Sql, store: StoreDefinition): Promise<string[]> {
  const problems: string[] = [];
  const triggers = await sql.unsafe<{ name: string; enabled: string }[]>(q.USER_TRIGGERS, [store.pgSchema]);
  const missing = store.triggers.filter((t) => !triggers.some((p) => p.name === t));
  if (missing.length > 0) problems.push(`trigger(s) missing: ${missing.join(', ')}`);
  const disabled = triggers.filter((t) => t.enabled === 'D').map((t) => t.name);
  if (disabled.length > 0) problems.push(`trigger(s) disabled: ${disabled.join(', ')} (ALTER TABLE ... ENABLE TRIGGER USER)`);
  const unvalidated = await sql.unsafe<{ name: string; table: string }[]>(q.UNVALIDATED_CONSTRAINTS, [store.pgSchema]);
  if (unvalidated.length > 0) {
    problems.push(
      `constraint(s) not validated: ${unvalidated.map((c) => `${c.name} on ${c.table}`).join(', ')} (ALTER TABLE ... VALIDATE CONSTRAINT)`,
    );
  }
  return problems;
}
