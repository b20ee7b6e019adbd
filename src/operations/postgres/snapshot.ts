/**
 * A read-only snapshot of a Postgres installation: one connection, one REPEATABLE READ READ ONLY transaction
 * held until close(), so all four schemas are read as of one instant while the application goes on writing.
 * The snapshot can be exported (pg_export_snapshot) so pg_dump reads exactly the same state.
 */
import type { ReservedSql, Sql } from 'postgres';
import type { AppliedMigration } from '../../backend/migrations.ts';
import { readPostgresJournal } from '../../backend/postgres/migrate.ts';
import type { PostgresConfig } from '../../config/load.ts';
import { redactUrl } from '../../config/redact.ts';
import { type StoreDefinition, STORES } from '../../catalog/registry.ts';
import type { AppTableSpec, TableSpec } from '../catalog.ts';
import { describePostgresAppTable } from './app-table.ts';
import type { SequenceMark, Snapshot } from '../endpoints.ts';
import type { RawRow, RawValue } from '../values.ts';
import { openOperationsPool, statementFailed } from './pool.ts';
import * as q from './sql.ts';

export async function openPostgresSnapshot(config: PostgresConfig): Promise<PostgresSnapshot> {
  const sql = await openOperationsPool(config, 1);
  try {
    const conn = await sql.reserve();
    await conn.unsafe('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    await conn.unsafe('SELECT 1'); // the transaction's snapshot is taken here
    return new PostgresSnapshot(config, sql, conn);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw statementFailed(config, 'cannot open a snapshot', error);
  }
}

export class PostgresSnapshot implements Snapshot {
  readonly dialect = 'postgres' as const;
  readonly location: string;

  constructor(
    readonly config: PostgresConfig,
    readonly pool: Sql,
    readonly conn: ReservedSql,
  ) {
    this.location = redactUrl(config.url);
  }

  /** The snapshot's id, for pg_dump --snapshot: pg_dump then reads exactly what this transaction reads. */
  async exportSnapshot(): Promise<string> {
    const [row] = await this.conn.unsafe<{ id: string }[]>('SELECT pg_export_snapshot() AS id');
    return row!.id;
  }

  async journal(store: StoreDefinition): Promise<readonly AppliedMigration[] | undefined> {
    const journal = await readPostgresJournal(this.conn, store);
    if (journal.length > 0) return journal;
    const schema = await this.conn.unsafe(q.SCHEMA_EXISTS, [store.pgSchema]);
    return schema.length > 0 ? journal : undefined;
  }

  async tableNames(store: StoreDefinition): Promise<readonly string[]> {
    const rows = await this.conn.unsafe<{ table_name: string }[]>(q.TABLE_NAMES, [store.pgSchema]);
    return rows.map((r) => r.table_name);
  }

  async appTable(store: StoreDefinition, name: string): Promise<AppTableSpec> {
    return describePostgresAppTable(this.conn, store, name);
  }

  async count(table: TableSpec): Promise<number> {
    const [row] = await this.conn.unsafe<{ n: string }[]>(q.countRows(schemaOf(table), table.name));
    return Number(row!.n);
  }

  async *rows(table: TableSpec, batchSize: number): AsyncIterable<RawRow[]> {
    // Every column is read as a RawValue (postgres/sql.ts, selectRows).
    const cursor = this.conn.unsafe<Record<string, RawValue>[]>(q.selectRows(schemaOf(table), table)).values().cursor(batchSize);
    for await (const rows of cursor) yield rows;
  }

  async sequences(table: TableSpec): Promise<readonly SequenceMark[]> {
    const schema = schemaOf(table);
    const marks: SequenceMark[] = [];
    for (const column of table.columns.filter((c) => c.serial)) {
      const [row] = await this.conn.unsafe<{ max: string | null; last: string | null }[]>(q.maxOf(schema, table.name, column.name), [
        q.qualified(schema, table.name),
        column.name,
      ]);
      const value = [row!.max, row!.last].reduce<bigint>((a, b) => (b !== null && BigInt(b) > a ? BigInt(b) : a), 0n);
      marks.push({ table: table.name, column: column.name, value: value.toString() });
    }
    return marks;
  }

  async close(): Promise<void> {
    try {
      await this.conn.unsafe('COMMIT');
      this.conn.release();
    } finally {
      await this.pool.end({ timeout: 5 });
    }
  }
}

export function schemaOf(table: TableSpec): string {
  return STORES.find((s) => s.name === table.store)!.pgSchema;
}
