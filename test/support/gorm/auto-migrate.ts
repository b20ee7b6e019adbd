/**
 * What Piri's `AutoMigrate` (GORM v1.26.1, glebarez/sqlite v1.11.0) would do to an existing SQLite scheduler file,
 * decided the way GORM decides it but without doing it: GORM's own catalogue queries are run as GORM runs them
 * (HasTable, HasConstraint's LIKE patterns on sqlite_master.sql, HasIndex by name), columns are read back by
 * parseDDL (ddl.ts), and Migrator.MigrateColumn's checks are applied to each model field.
 *
 * On SQLite an altered column or an added constraint is a table rebuild (create `<table>__temp`, copy, DROP,
 * rename). AlterColumn runs it with foreign keys off; CreateConstraint and DropConstraint with them on, so their
 * DROP TABLE cascade-deletes the rows of child tables.
 *
 * One input is left out: for a column the DDL does not size, MigrateColumn asks the driver for a length, which
 * modernc reports from the first row's value. It is the same for a file Piri made (same declared types, same
 * values), so it cannot tell a piri-db file from Piri's own; it is taken as unknown.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { fullDataTypeOf } from './dialect.ts';
import { parseDdl, type DdlColumn } from './ddl.ts';
import type { Model, ModelField } from './models.ts';

export interface GormChange {
  readonly table: string;
  readonly action: 'create table' | 'add column' | 'alter column' | 'create constraint' | 'drop constraint' | 'create index';
  /** The column, constraint or index. */
  readonly name?: string;
  /** Why MigrateColumn alters a column: which check differed. */
  readonly why?: string;
}

export function autoMigratePlan(db: BetterSqlite3.Database, models: readonly Model[]): GormChange[] {
  return models.flatMap((model) => (hasTable(db, model.table) ? migrateTable(db, model) : [{ table: model.table, action: 'create table' as const }]));
}

function hasTable(db: BetterSqlite3.Database, table: string): boolean {
  return (db.prepare(`SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?`).pluck().get(table) as number) > 0;
}

function hasConstraint(db: BetterSqlite3.Database, table: string, name: string): boolean {
  const count = db
    .prepare(
      'SELECT count(*) FROM sqlite_master WHERE type = ? AND tbl_name = ? AND (sql LIKE ? OR sql LIKE ? OR sql LIKE ? OR sql LIKE ? OR sql LIKE ?)',
    )
    .pluck()
    .get('table', table, `%CONSTRAINT "${name}" %`, `%CONSTRAINT ${name} %`, `%CONSTRAINT \`${name}\`%`, `%CONSTRAINT [${name}]%`, `%CONSTRAINT \t${name}\t%`) as number;
  return count > 0;
}

function hasIndex(db: BetterSqlite3.Database, table: string, name: string): boolean {
  return (db.prepare('SELECT count(*) FROM sqlite_master WHERE type = ? AND tbl_name = ? AND name = ?').pluck().get('index', table, name) as number) > 0;
}

/**
 * What MigrateColumn learns about a column (gorm migrator.ColumnType): parseDDL's findings, or for a column
 * parseDDL missed, the driver's: its declared type, and no nullability, uniqueness or default (ok = false).
 */
interface ColumnType {
  readonly dataType: string;
  readonly length?: number;
  readonly nullable?: boolean;
  readonly unique?: boolean;
  readonly default?: string;
}

/** Migrator.ColumnTypes: the table's actual columns, each described by parseDDL where it found the column. */
function columnTypes(db: BetterSqlite3.Database, table: string): Map<string, ColumnType> {
  const sqls = db
    .prepare(`SELECT sql FROM sqlite_master WHERE type IN ('table', 'index') AND tbl_name = ? AND sql IS NOT NULL ORDER BY type = 'table' DESC`)
    .pluck()
    .all(table) as string[];
  const parsed: DdlColumn[] = parseDdl(sqls);
  const actual = db.prepare(`SELECT * FROM \`${table}\` LIMIT 1`).columns();
  return new Map(actual.map((c) => [c.name, parsed.find((p) => p.name === c.name) ?? { dataType: c.type ?? '' }]));
}

function migrateTable(db: BetterSqlite3.Database, model: Model): GormChange[] {
  const changes: GormChange[] = [];
  const columns = columnTypes(db, model.table);
  for (const field of model.fields) {
    if (!columns.has(field.column)) {
      changes.push({ table: model.table, action: 'add column', name: field.column });
      continue;
    }
    const column = columns.get(field.column)!;
    const why = alterReasons(model, field, column);
    if (why.length > 0) changes.push({ table: model.table, action: 'alter column', name: field.column, why: why.join('; ') });
    // MigrateColumnUnique: no model field has the `unique` tag, so a UNIQUE column is one to drop.
    if (column.unique && !field.primaryKey) changes.push({ table: model.table, action: 'drop constraint', name: `uni_${model.table}_${field.column}` });
  }
  for (const rel of model.relations) {
    if (!hasConstraint(db, model.table, rel.name)) changes.push({ table: model.table, action: 'create constraint', name: rel.name });
  }
  for (const idx of model.indexes) {
    if (!hasIndex(db, model.table, idx.name)) changes.push({ table: model.table, action: 'create index', name: idx.name });
  }
  return changes;
}

/** Migrator.MigrateColumn's checks, in its order; empty when it leaves the column alone. */
function alterReasons(model: Model, field: ModelField, column: ColumnType): string[] {
  const fullDataType = fullDataTypeOf(model, field).toLowerCase().trim();
  const realDataType = column.dataType.toLowerCase();
  let why: string[] = [];
  const isSameType = fullDataType === realDataType;
  if (!field.primaryKey && !fullDataType.startsWith(realDataType)) why.push(`type ${realDataType} is not a prefix of ${fullDataType}`);
  const size = field.size ?? 0;
  if (!isSameType && column.length !== undefined && column.length !== size) {
    // A declared length that differs; or none in the model while the model's full type states another number.
    const stated = [...fullDataType.matchAll(/[^\d]*(\d+)[^\d]?/g)];
    if ((column.length > 0 && size > 0) || (!field.primaryKey && stated.length === 1 && stated[0]![1] !== String(column.length))) {
      why.push(`length ${column.length} is not ${size}`);
    }
  }
  if (column.nullable === false && !field.notNull && !field.primaryKey) why.push('NOT NULL in the database, nullable in the model');
  if (!field.primaryKey) {
    const modelDefault = field.default !== undefined && field.default.toUpperCase() !== 'NULL';
    const dv = column.default;
    if (dv !== undefined && !modelDefault) why.push(`default ${dv} where the model has none`);
    else if (dv === undefined && modelDefault) why.push(`no default found where the model has ${field.default}`);
    else if (dv !== undefined && field.default !== undefined) {
      if (field.kind === 'bool') {
        // `alterColumn = v1 != v2` assigns rather than ORs: an unparsable default reads as false, and this
        // comparison overrides every check before it.
        why = parseBool(dv) === parseBool(field.default) ? [] : [`default ${dv} is not ${field.default}`];
      } else if (field.kind === 'time') {
        if (dv.replace(/\(\)$/, '').toLowerCase() !== field.default.replace(/\(\)$/, '').toLowerCase()) why.push(`default "${dv}" is not "${field.default}"`);
      } else if (dv !== field.default) {
        why.push(`default "${dv}" is not "${field.default}"`);
      }
    }
  }
  return why;
}

/** Go's strconv.ParseBool, errors reading as false (GORM ignores the error). */
function parseBool(text: string): boolean {
  return ['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text);
}
