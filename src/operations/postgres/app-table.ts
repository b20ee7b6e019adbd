/**
 * An application's table in a store's Postgres schema, described for carrying it to another Postgres database:
 * its definition rebuilt from the catalog (columns with their types, collations, defaults, NOT NULL, identity and
 * generated expressions; the sequences its serial columns own; its constraints and indexes), which runs on any
 * Postgres that has what the definition names (types, functions). Not carried: triggers, policies, grants,
 * comments. Values travel as text, every type's lossless form. Names in the rebuilt statements are schema-
 * qualified by Postgres itself (pg_get_expr and friends qualify what is not on the default search_path).
 */
import type { ReservedSql } from 'postgres';
import type { StoreDefinition } from '../../catalog/registry.ts';
import type { AppTableSpec } from '../catalog.ts';
import { qualified, quote } from './sql.ts';

interface Column {
  readonly name: string;
  readonly type: string;
  readonly collation: string | null;
  readonly not_null: boolean;
  readonly default: string | null;
  readonly identity: '' | 'a' | 'd';
  readonly generated: '' | 's' | 'v';
  readonly serial: boolean;
}

/** A sequence a serial column of the table owns: its name (schema-qualified, quoted as needed) and options. */
export interface OwnedSequence {
  readonly name: string;
  readonly column: string;
  readonly options: string;
}

const COLUMNS = `
  SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
         CASE WHEN a.attcollation <> t.typcollation THEN quote_ident(cn.nspname) || '.' || quote_ident(co.collname) END AS collation,
         a.attnotnull AS not_null, pg_get_expr(d.adbin, d.adrelid) AS "default", a.attidentity AS identity,
         a.attgenerated AS generated, pg_get_serial_sequence($1, a.attname) IS NOT NULL AS serial
  FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
  LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
  LEFT JOIN pg_collation co ON co.oid = a.attcollation LEFT JOIN pg_namespace cn ON cn.oid = co.collnamespace
  WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`;

// Sequences a serial column owns (dependency 'a'; an identity column's is 'i' and comes with the column).
const OWNED_SEQUENCES = `
  SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) AS name, a.attname AS "column",
         format('AS %s INCREMENT BY %s MINVALUE %s MAXVALUE %s START WITH %s CACHE %s %s', format_type(s.seqtypid, NULL),
                s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, CASE WHEN s.seqcycle THEN 'CYCLE' ELSE 'NO CYCLE' END) AS options
  FROM pg_depend dep JOIN pg_sequence s ON s.seqrelid = dep.objid JOIN pg_class c ON c.oid = s.seqrelid
  JOIN pg_namespace n ON n.oid = c.relnamespace
  JOIN pg_attribute a ON a.attrelid = dep.refobjid AND a.attnum = dep.refobjsubid
  WHERE dep.refobjid = $1::regclass AND dep.classid = 'pg_class'::regclass AND dep.deptype = 'a' ORDER BY c.relname`;

// NOT NULL (contype 'n' from Postgres 18) is part of the column.
const CONSTRAINTS = `
  SELECT quote_ident(c.conname) AS name, pg_get_constraintdef(c.oid) AS def, r.relname AS parent
  FROM pg_constraint c LEFT JOIN pg_class r ON r.oid = c.confrelid
  WHERE c.conrelid = $1::regclass AND c.contype IN ('p', 'u', 'c', 'f', 'x') ORDER BY c.contype = 'f', c.conname`;

const INDEXES = `
  SELECT pg_get_indexdef(i.indexrelid) AS def FROM pg_index i
  WHERE i.indrelid = $1::regclass AND NOT EXISTS (
    SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid AND c.contype IN ('p', 'u', 'x'))
  ORDER BY i.indexrelid`;

const PRIMARY_KEY = `
  SELECT a.attname AS name FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
  WHERE i.indrelid = $1::regclass AND i.indisprimary ORDER BY array_position(i.indkey::int2[], a.attnum)`;

/** The sequences the table's serial columns own: pg_dump dumps them apart from the table. */
export function ownedSequences(conn: ReservedSql, store: StoreDefinition, name: string): Promise<OwnedSequence[]> {
  return conn.unsafe<OwnedSequence[]>(OWNED_SEQUENCES, [qualified(store.pgSchema, name)]);
}

/** The application's table `name` of the store's schema, as read in `conn`'s transaction. */
export async function describePostgresAppTable(conn: ReservedSql, store: StoreDefinition, name: string): Promise<AppTableSpec> {
  const table = qualified(store.pgSchema, name);
  const columns = await conn.unsafe<Column[]>(COLUMNS, [table]);
  const sequences = await ownedSequences(conn, store, name);
  const constraints = await conn.unsafe<{ name: string; def: string; parent: string | null }[]>(CONSTRAINTS, [table]);
  const indexes = await conn.unsafe<{ def: string }[]>(INDEXES, [table]);
  const primaryKey = (await conn.unsafe<{ name: string }[]>(PRIMARY_KEY, [table])).map((r) => r.name);
  // Generated columns are computed again on the target: COPY may not write them.
  const loaded = columns.filter((c) => c.generated === '');
  const definition = [
    ...sequences.map((s) => `CREATE SEQUENCE ${s.name} ${s.options}`),
    `CREATE TABLE ${table} (${columns.map(columnDefinition).join(', ')})`,
    ...sequences.map((s) => `ALTER SEQUENCE ${s.name} OWNED BY ${table}.${quote(s.column)}`),
    ...constraints.map((c) => `ALTER TABLE ${table} ADD CONSTRAINT ${c.name} ${c.def}`),
    ...indexes.map((i) => i.def),
  ];
  return {
    store: store.name,
    name,
    columns: loaded.map((c) => ({ name: c.name, kind: 'native', serial: c.serial })),
    primaryKey: primaryKey.length > 0 ? primaryKey : loaded.map((c) => c.name),
    parents: constraints.flatMap((c) => (c.parent === null || c.parent === name ? [] : [c.parent])),
    definition,
  };
}

function columnDefinition(column: Column): string {
  const parts = [quote(column.name), column.type];
  if (column.collation) parts.push(`COLLATE ${column.collation}`);
  if (column.generated) parts.push(`GENERATED ALWAYS AS (${column.default}) ${column.generated === 's' ? 'STORED' : 'VIRTUAL'}`);
  else if (column.identity) parts.push(`GENERATED ${column.identity === 'a' ? 'ALWAYS' : 'BY DEFAULT'} AS IDENTITY`);
  else if (column.default !== null) parts.push(`DEFAULT ${column.default}`);
  if (column.not_null) parts.push('NOT NULL');
  return parts.join(' ');
}
