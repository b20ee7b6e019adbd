/**
 * A store's schema as a set of facts, one line each ("column jobs.id: INTEGER pk 1", "trigger x on jobqueue"),
 * read from the database's catalog. Two schemas are the same when their facts are; the facts one has and the other
 * lacks are the differences, readable as they are. Names of the schema itself are left out on Postgres, so a scratch
 * schema and a store's compare equal.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Sql, TransactionSql } from 'postgres';
import { SQLITE_JOURNAL } from '../../backend/sqlite/migrate.ts';
import { allRows, columnValues } from '../../backend/sqlite/rows.ts';

/** What a schema holds that a migration may collide with: triggers (by name, with their table), functions, indexes. */
export interface SchemaObjects {
  readonly tables: ReadonlySet<string>;
  readonly triggers: ReadonlyMap<string, string>;
  readonly functions: ReadonlySet<string>;
  /** By name, with their table. */
  readonly indexes: ReadonlyMap<string, string>;
}

export interface Shape {
  readonly facts: ReadonlySet<string>;
  readonly objects: SchemaObjects;
}

/** Journals are piri-db's bookkeeping, never part of the shape compared. */
const SQLITE_BOOKKEEPING = new Set([SQLITE_JOURNAL, '__drizzle_migrations']);

/** Defaults compared as written, but for the case and blanks outside string literals and one pair of outer parentheses. */
function normalizeDefault(value: string | null): string {
  if (value === null) return '-';
  const flat = value
    .split("'")
    .map((part, i) => (i % 2 === 0 ? part.toLowerCase().replace(/\s+/g, '') : part))
    .join("'");
  return flat.startsWith('(') && flat.endsWith(')') ? flat.slice(1, -1) : flat;
}

export function sqliteShape(db: BetterSqlite3.Database): Shape {
  const facts = new Set<string>();
  const tables = allRows<{ name: string; sql: string }>(
    db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name`),
  ).filter((t) => !SQLITE_BOOKKEEPING.has(t.name));
  const indexes = new Map<string, string>();
  for (const { name, sql } of tables) {
    const [info] = allRows<{ strict: number; wr: number }>(db.prepare(`SELECT strict, wr FROM pragma_table_list(?)`), name);
    facts.add(`table ${name}${info?.strict ? ' STRICT' : ''}${info?.wr ? ' WITHOUT ROWID' : ''}${/\bAUTOINCREMENT\b/i.test(sql) ? ' AUTOINCREMENT' : ''}`);
    for (const c of allRows<{ name: string; type: string; notnull: number; dflt_value: string | null; pk: number }>(
      db.prepare(`SELECT name, type, "notnull", dflt_value, pk FROM pragma_table_xinfo(?)`),
      name,
    )) {
      facts.add(`column ${name}.${c.name}: ${c.type.toUpperCase()}${c.notnull ? ' NOT NULL' : ''}${c.pk ? ` pk ${c.pk}` : ''} default ${normalizeDefault(c.dflt_value)}`);
    }
    for (const fk of allRows<{ table: string; from: string; to: string; on_delete: string; on_update: string }>(
      db.prepare(`SELECT "table", "from", "to", on_delete, on_update FROM pragma_foreign_key_list(?)`),
      name,
    )) {
      facts.add(`foreign key ${name}(${fk.from}) -> ${fk.table}(${fk.to}) on delete ${fk.on_delete} on update ${fk.on_update}`);
    }
    for (const index of allRows<{ name: string; unique: number; origin: string; partial: number }>(
      db.prepare(`SELECT name, "unique", origin, partial FROM pragma_index_list(?)`),
      name,
    )) {
      const columns = columnValues<string>(db.prepare(`SELECT name FROM pragma_index_info(?) ORDER BY seqno`), index.name);
      // Automatic indexes are named after the table and their position: the constraint they back is the fact.
      const label = index.name.startsWith('sqlite_autoindex_') ? `(${index.origin})` : index.name;
      facts.add(`index ${label} on ${name} (${columns.join(', ')})${index.unique ? ' UNIQUE' : ''}${index.partial ? ' PARTIAL' : ''}`);
      indexes.set(index.name, name);
    }
  }
  const triggers = new Map(
    allRows<{ name: string; tbl_name: string }>(db.prepare(`SELECT name, tbl_name FROM sqlite_master WHERE type = 'trigger'`)).map((t) => [
      t.name,
      t.tbl_name,
    ]),
  );
  for (const [trigger, table] of triggers) facts.add(`trigger ${trigger} on ${table}`);
  return { facts, objects: { tables: new Set(tables.map((t) => t.name)), triggers, functions: new Set(), indexes } };
}

export async function postgresShape(sql: Sql | TransactionSql, schema: string): Promise<Shape> {
  const strip = (text: string) => text.replace(new RegExp(`"?${schema}"?\\.`, 'g'), '');
  const facts = new Set<string>();
  const tables = await sql<{ name: string }[]>`
    SELECT c.relname AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p')`;
  for (const t of tables) facts.add(`table ${t.name}`);
  const columns = await sql<{ tbl: string; name: string; type: string; notnull: boolean; def: string | null }[]>`
    SELECT c.relname AS tbl, a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type, a.attnotnull AS notnull,
      pg_get_expr(d.adbin, d.adrelid) AS def
    FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
    WHERE n.nspname = ${schema} AND c.relkind IN ('r', 'p') AND a.attnum > 0 AND NOT a.attisdropped`;
  for (const c of columns) facts.add(`column ${c.tbl}.${c.name}: ${c.type}${c.notnull ? ' NOT NULL' : ''} default ${c.def === null ? '-' : strip(c.def)}`);
  const constraints = await sql<{ tbl: string; name: string; def: string }[]>`
    SELECT c.relname AS tbl, k.conname AS name, pg_get_constraintdef(k.oid) AS def
    FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema}`;
  for (const k of constraints) facts.add(`constraint ${k.tbl}.${k.name}: ${strip(k.def)}`);
  const indexes = await sql<{ name: string; tbl: string; def: string }[]>`
    SELECT indexname AS name, tablename AS tbl, indexdef AS def FROM pg_indexes WHERE schemaname = ${schema}`;
  for (const i of indexes) facts.add(`index ${i.name}: ${strip(i.def)}`);
  const triggers = await sql<{ name: string; tbl: string; def: string }[]>`
    SELECT t.tgname AS name, c.relname AS tbl, pg_get_triggerdef(t.oid) AS def
    FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = ${schema} AND NOT t.tgisinternal`;
  for (const t of triggers) facts.add(`trigger ${t.name}: ${strip(t.def)}`);
  const functions = await sql<{ name: string }[]>`
    SELECT p.proname AS name FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = ${schema}`;
  for (const f of functions) facts.add(`function ${f.name}`);
  return {
    facts,
    objects: {
      tables: new Set(tables.map((t) => t.name)),
      triggers: new Map(triggers.map((t) => [t.name, t.tbl])),
      functions: new Set(functions.map((f) => f.name)),
      indexes: new Map(indexes.map((i) => [i.name, i.tbl])),
    },
  };
}

/** The facts `expected` has and `actual` lacks, and the other way round. */
export function compareShapes(expected: Shape, actual: Shape): { missing: string[]; unexpected: string[] } {
  return {
    missing: [...expected.facts].filter((f) => !actual.facts.has(f)).sort(),
    unexpected: [...actual.facts].filter((f) => !expected.facts.has(f)).sort(),
  };
}
