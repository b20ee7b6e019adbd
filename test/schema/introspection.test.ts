/**
 * Boots a fresh installation on each backend and compares every store, by catalogue introspection, to the data
 * model (docs/data-model.md, written down in expected-model.ts): tables, columns, keys, indexes, foreign keys, triggers.
 * Both sides are brought to the same plain shape first, so a failing diff names the table and the column.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Sql } from 'postgres';
import { beforeAll, describe, expect, it } from 'vitest';
import { openDatabases } from '../../src/stores/open.ts';
import type { Dialect } from '../../src/catalog/registry.ts';
import { forEachBackend, freshConfig } from '../support/installations.ts';
import {
  EXPECTED_MODEL,
  type ExpectedStoreName,
  reportedType,
  SQLITE_JOURNAL,
  type StoreSpec,
  type TableSpec,
  type TriggerSpec,
} from './expected-model.ts';

// ---- the common shape ----------------------------------------------------------------------------------------

interface ColumnShape {
  type: string;
  notNull: boolean;
  hasDefault: boolean;
  auto: boolean;
}
interface IndexShape {
  name: string;
  columns: string[];
}
interface ForeignKeyShape {
  name?: string;
  columns: string[];
  references: { table: string; columns: string[] };
  onDelete: string;
}
interface TableShape {
  columns: Record<string, ColumnShape>;
  columnOrder: string[];
  primaryKey: string[];
  unique: IndexShape[];
  indexes: IndexShape[];
  foreignKeys: ForeignKeyShape[];
  sqlite?: { strict: boolean; withoutRowid: boolean; autoincrement: boolean };
}
interface TriggerShape {
  name: string;
  table: string;
  timing: string;
  event: string;
  updateOf?: string[];
  /** Postgres: schema-qualified function the trigger executes, and FOR EACH ROW. */
  function?: string;
  forEachRow?: boolean;
}
interface StoreShape {
  tables: Record<string, TableShape>;
  triggers: TriggerShape[];
  /** SQLite: whether sqlite_sequence exists. */
  sqliteSequence?: boolean;
}

const ANY_NAME = '(any name)';
const byColumns = <T extends { columns: string[] }>(list: T[]) => [...list].sort((a, b) => a.columns.join().localeCompare(b.columns.join()));
const byName = <T extends { name: string }>(list: T[]) => [...list].sort((a, b) => a.name.localeCompare(b.name));

function expectedTable(spec: TableSpec, dialect: Dialect): TableShape {
  return {
    columns: Object.fromEntries(
      Object.entries(spec.columns).map(([name, c]) => [
        name,
        { type: reportedType(c.type, dialect), notNull: c.notNull, hasDefault: c.hasDefault, auto: c.auto },
      ]),
    ),
    columnOrder: Object.keys(spec.columns),
    primaryKey: [...spec.primaryKey],
    unique: byColumns(spec.unique.map((u) => ({ name: u.name ?? ANY_NAME, columns: [...u.columns] }))),
    indexes: byColumns(spec.indexes.map((u) => ({ name: u.name ?? ANY_NAME, columns: [...u.columns] }))),
    foreignKeys: byColumns(
      spec.foreignKeys.map((f) => ({
        ...(dialect === 'postgres' && f.name ? { name: f.name } : {}),
        columns: [...f.columns],
        references: { table: f.references.table, columns: [...f.references.columns] },
        onDelete: f.onDelete,
      })),
    ),
    ...(dialect === 'sqlite' ? { sqlite: { ...spec.sqlite } } : {}),
  };
}

function expectedTrigger(t: TriggerSpec, dialect: Dialect, schema: string): TriggerShape {
  return {
    name: t.name,
    table: t.table,
    timing: t.timing[dialect],
    event: t.event,
    ...(t.updateOf ? { updateOf: [...t.updateOf] } : {}),
    ...(dialect === 'postgres' ? { function: `${schema}.${t.pgFunction}`, forEachRow: true } : {}),
  };
}

/** Where the data model leaves a name open (any name) or unstated (FK names), the actual name is not compared. */
function alignNames(actual: TableShape, spec: TableSpec): TableShape {
  const key = (columns: readonly string[]) => columns.join();
  const anyUnique = new Set(spec.unique.filter((u) => !u.name).map((u) => key(u.columns)));
  const anyIndex = new Set(spec.indexes.filter((u) => !u.name).map((u) => key(u.columns)));
  const unnamedFks = new Set(spec.foreignKeys.filter((f) => !f.name).map((f) => key(f.columns)));
  return {
    ...actual,
    unique: actual.unique.map((u) => (anyUnique.has(key(u.columns)) ? { ...u, name: ANY_NAME } : u)),
    indexes: actual.indexes.map((u) => (anyIndex.has(key(u.columns)) ? { ...u, name: ANY_NAME } : u)),
    foreignKeys: actual.foreignKeys.map(({ name, ...f }) => (name === undefined || unnamedFks.has(key(f.columns)) ? f : { name, ...f })),
  };
}

function alignTrigger(actual: TriggerShape, spec: TriggerSpec | undefined): TriggerShape {
  if (spec?.updateOf) return actual;
  const { updateOf: _ignored, ...rest } = actual; // the data model states UPDATE OF columns only for some triggers
  return rest;
}

// ---- SQLite introspection ------------------------------------------------------------------------------------

function introspectSqlite(db: BetterSqlite3.Database): StoreShape {
  const master = db.prepare(`SELECT type, name, tbl_name AS tbl, sql FROM sqlite_master`).all() as {
    type: string;
    name: string;
    tbl: string;
    sql: string | null;
  }[];
  const tables: Record<string, TableShape> = {};
  for (const { name, sql } of master.filter((m) => m.type === 'table' && !m.name.startsWith('sqlite_'))) {
    const cols = db.pragma(`table_xinfo("${name}")`) as { name: string; type: string; notnull: number; dflt_value: string | null; pk: number }[];
    const primaryKey = cols.filter((c) => c.pk > 0).sort((a, b) => a.pk - b.pk).map((c) => c.name);
    const tail = sql!.slice(sql!.lastIndexOf(')') + 1);
    const withoutRowid = /\bWITHOUT\s+ROWID\b/i.test(tail);
    const indexList = db.pragma(`index_list("${name}")`) as { name: string; unique: number; origin: string }[];
    const indexColumns = (index: string) => (db.pragma(`index_info("${index}")`) as { seqno: number; name: string }[]).sort((a, b) => a.seqno - b.seqno).map((c) => c.name);
    const indexes = indexList.filter((i) => i.origin !== 'pk').map((i) => ({ name: i.name, unique: i.unique === 1, columns: indexColumns(i.name) }));
    const fkRows = db.pragma(`foreign_key_list("${name}")`) as { id: number; seq: number; table: string; from: string; to: string | null; on_delete: string }[];
    const fkIds = [...new Set(fkRows.map((r) => r.id))];
    tables[name] = {
      columns: Object.fromEntries(
        cols.map((c) => [
          c.name,
          {
            type: c.type.toLowerCase(),
            notNull: c.notnull === 1,
            hasDefault: c.dflt_value !== null,
            auto: c.type.toLowerCase() === 'integer' && primaryKey.length === 1 && primaryKey[0] === c.name && !withoutRowid,
          },
        ]),
      ),
      columnOrder: cols.map((c) => c.name),
      primaryKey,
      unique: byColumns(indexes.filter((i) => i.unique).map(({ name, columns }) => ({ name, columns }))),
      indexes: byColumns(indexes.filter((i) => !i.unique).map(({ name, columns }) => ({ name, columns }))),
      foreignKeys: byColumns(
        fkIds.map((id) => {
          const parts = fkRows.filter((r) => r.id === id).sort((a, b) => a.seq - b.seq);
          return {
            columns: parts.map((p) => p.from),
            references: { table: parts[0]!.table, columns: parts.map((p) => p.to ?? '(implicit pk)') },
            onDelete: parts[0]!.on_delete,
          };
        }),
      ),
      sqlite: { strict: /\bSTRICT\b/i.test(tail), withoutRowid, autoincrement: /\bAUTOINCREMENT\b/i.test(sql!) },
    };
  }
  const triggers = master
    .filter((m) => m.type === 'trigger')
    .map((m): TriggerShape => {
      const header = /^CREATE\s+TRIGGER\s+(?:IF\s+NOT\s+EXISTS\s+)?\S+\s+(BEFORE|AFTER|INSTEAD\s+OF)?\s*(INSERT|DELETE|UPDATE)(?:\s+OF\s+(.+?))?\s+ON\s/is.exec(m.sql!);
      if (!header) return { name: m.name, table: m.tbl, timing: '(unparsed)', event: m.sql! };
      const updateOf = header[3]?.split(',').map((c) => c.trim().replace(/^["`[]|["`\]]$/g, ''));
      return { name: m.name, table: m.tbl, timing: (header[1] ?? 'BEFORE').toUpperCase(), event: header[2]!.toUpperCase(), ...(updateOf ? { updateOf } : {}) };
    });
  return { tables, triggers: byName(triggers), sqliteSequence: master.some((m) => m.type === 'table' && m.name === 'sqlite_sequence') };
}

// ---- Postgres introspection ----------------------------------------------------------------------------------

const PG_ON_DELETE: Record<string, string> = { a: 'NO ACTION', r: 'RESTRICT', c: 'CASCADE', n: 'SET NULL', d: 'SET DEFAULT' };

async function introspectPostgres(sql: Sql, schema: string): Promise<StoreShape> {
  const relations = await sql<{ name: string; kind: string }[]>`
    SELECT c.relname AS name, c.relkind AS kind FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p', 'v', 'm', 'f')`;
  const columns = await sql<{ table: string; name: string; type: string; not_null: boolean; default: string | null }[]>`
    SELECT c.relname AS table, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS not_null,
           pg_get_expr(d.adbin, d.adrelid) AS default
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped
    ORDER BY c.relname, a.attnum`;
  const indexes = await sql<{ table: string; name: string; unique: boolean; primary: boolean; columns: string[] }[]>`
    SELECT t.relname AS table, i.relname AS name, x.indisunique AS unique, x.indisprimary AS primary,
           ARRAY(SELECT a.attname FROM unnest(x.indkey::int2[]) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = x.indrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns
    FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class t ON t.oid = x.indrelid
    JOIN pg_namespace n ON n.oid = t.relnamespace
    WHERE n.nspname = ${schema}`;
  const fks = await sql<{ table: string; name: string; columns: string[]; ref_table: string; ref_columns: string[]; on_delete: string }[]>`
    SELECT t.relname AS table, c.conname AS name,
           CASE WHEN rn.nspname = n.nspname THEN r.relname ELSE rn.nspname || '.' || r.relname END AS ref_table,
           ARRAY(SELECT a.attname FROM unnest(c.conkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS columns,
           ARRAY(SELECT a.attname FROM unnest(c.confkey) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = c.confrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS ref_columns,
           c.confdeltype::text AS on_delete
    FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
    JOIN pg_class r ON r.oid = c.confrelid JOIN pg_namespace rn ON rn.oid = r.relnamespace
    WHERE c.contype = 'f' AND n.nspname = ${schema}`;
  const triggers = await sql<TriggerShape[]>`
    SELECT t.tgname AS name, c.relname AS table,
           CASE WHEN t.tgtype::int & 2 = 2 THEN 'BEFORE' WHEN t.tgtype::int & 64 = 64 THEN 'INSTEAD OF' ELSE 'AFTER' END AS timing,
           concat_ws(' OR ', CASE WHEN t.tgtype::int & 4 = 4 THEN 'INSERT' END, CASE WHEN t.tgtype::int & 8 = 8 THEN 'DELETE' END,
                     CASE WHEN t.tgtype::int & 16 = 16 THEN 'UPDATE' END, CASE WHEN t.tgtype::int & 32 = 32 THEN 'TRUNCATE' END) AS event,
           ARRAY(SELECT a.attname FROM unnest(t.tgattr::int2[]) WITH ORDINALITY k(attnum, ord)
                 JOIN pg_attribute a ON a.attrelid = t.tgrelid AND a.attnum = k.attnum ORDER BY k.ord)::text[] AS "updateOf",
           pn.nspname || '.' || p.proname AS function, t.tgtype::int & 1 = 1 AS "forEachRow"
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace pn ON pn.oid = p.pronamespace
    WHERE NOT t.tgisinternal AND n.nspname = ${schema}`;

  const tables: Record<string, TableShape> = {};
  for (const { name, kind } of relations) {
    const cols = columns.filter((c) => c.table === name);
    const ix = indexes.filter((i) => i.table === name);
    tables[kind === 'r' || kind === 'p' ? name : `${name} (relkind ${kind})`] = {
      columns: Object.fromEntries(
        cols.map((c) => {
          const sequence = c.default?.startsWith('nextval(') ?? false;
          return [c.name, { type: c.type, notNull: c.not_null, hasDefault: c.default !== null && !sequence, auto: sequence }];
        }),
      ),
      columnOrder: cols.map((c) => c.name),
      primaryKey: ix.find((i) => i.primary)?.columns ?? [],
      unique: byColumns(ix.filter((i) => i.unique && !i.primary).map(({ name, columns }) => ({ name, columns }))),
      indexes: byColumns(ix.filter((i) => !i.unique).map(({ name, columns }) => ({ name, columns }))),
      foreignKeys: byColumns(
        fks
          .filter((f) => f.table === name)
          .map((f) => ({
            name: f.name,
            columns: f.columns,
            references: { table: f.ref_table, columns: f.ref_columns },
            onDelete: PG_ON_DELETE[f.on_delete] ?? f.on_delete,
          })),
      ),
    };
  }
  const shapedTriggers = triggers.map((t) => {
    const { updateOf, ...rest } = t;
    return { ...rest, ...(updateOf && updateOf.length > 0 ? { updateOf } : {}) };
  });
  return { tables, triggers: byName(shapedTriggers) };
}

// ---- the tests -----------------------------------------------------------------------------------------------

const STORES = Object.entries(EXPECTED_MODEL) as [ExpectedStoreName, StoreSpec][];

/**
 * Tables piri-db adds to Piri's model on purpose (docs/differences-from-piri.md). Any other extra table fails.
 *  - scheduler.task_engine_sessions: engine heartbeats, so only the tasks of engines that stopped beating are
 *    released (Piri releases every other engine's tasks at start).
 */
const PIRI_DB_TABLES: Partial<Record<ExpectedStoreName, readonly string[]>> = { scheduler: ['task_engine_sessions'] };

forEachBackend('schema matches the data model', (backend) => {
  const actual = {} as Record<ExpectedStoreName, StoreShape>;
  const schemaOf = {} as Record<ExpectedStoreName, string>;

  beforeAll(async () => {
    const dbs = await openDatabases(await freshConfig(backend));
    try {
      for (const store of dbs.stores) {
        const conn = store.connection;
        schemaOf[store.name] = conn.dialect === 'postgres' ? conn.schema : '';
        actual[store.name] = conn.dialect === 'sqlite' ? introspectSqlite(conn.client) : await introspectPostgres(conn.client, conn.schema);
      }
    } finally {
      await dbs.close();
    }
  });

  describe.each(STORES)('store %s', (store, spec) => {
    it('holds exactly the tables of the data model (and the migration journal on SQLite)', () => {
      const expected = Object.keys(spec.tables);
      if (backend === 'sqlite') expected.push(SQLITE_JOURNAL);
      expected.push(...(PIRI_DB_TABLES[store] ?? []));
      expect(Object.keys(actual[store].tables).sort()).toEqual(expected.sort());
    });

    it.each(Object.entries(spec.tables))('table %s', (name, tableSpec) => {
      const found = actual[store].tables[name];
      expect(found, `table ${name} missing`).toBeDefined();
      const got = alignNames(found!, tableSpec);
      const want = expectedTable(tableSpec, backend);
      expect.soft(got.columns, `${name}: columns`).toEqual(want.columns);
      expect.soft(got.columnOrder, `${name}: column order`).toEqual(want.columnOrder);
      expect.soft(got.primaryKey, `${name}: primary key`).toEqual(want.primaryKey);
      expect.soft(got.unique, `${name}: unique indexes/constraints`).toEqual(want.unique);
      expect.soft(got.indexes, `${name}: plain indexes`).toEqual(want.indexes);
      expect.soft(got.foreignKeys, `${name}: foreign keys`).toEqual(want.foreignKeys);
      if (backend === 'sqlite') expect.soft(got.sqlite, `${name}: SQLite table options`).toEqual(want.sqlite);
    });

    it('has exactly the triggers of the data model', () => {
      const specByName = new Map(spec.triggers.map((t) => [t.name, t]));
      const got = actual[store].triggers.map((t) => alignTrigger(t, specByName.get(t.name)));
      expect(got).toEqual(byName(spec.triggers.map((t) => expectedTrigger(t, backend, schemaOf[store]))));
    });

    if (backend === 'sqlite') {
      it(`${spec.sqliteSequence ? 'keeps' : 'has no'} sqlite_sequence (AUTOINCREMENT)`, () => {
        expect(actual[store].sqliteSequence).toBe(spec.sqliteSequence);
      });
    }
  });
});
