/**
 * What GORM v1.26 with the glebarez/sqlite dialector (Piri v0.2.4) writes for a model: the column types
 * (docs/data-model.md §6.1), GORM's FullDataTypeOf (`<type>[ NOT NULL][ DEFAULT x]`, in that order) and the
 * CREATE TABLE / CREATE INDEX statements of Migrator.CreateTable, character for character: backtick quoting,
 * no spaces after commas, named FK constraints without ON UPDATE.
 */
import type { Model, ModelField } from './models.ts';

/** GORM's schema parser makes the "prioritized" primary key (the single one) of an integer kind autoincrement. */
export function isAutoIncrement(model: Model, field: ModelField): boolean {
  const keys = model.fields.filter((f) => f.primaryKey);
  return field.kind === 'int' && keys.length === 1 && keys[0] === field;
}

/** glebarez/sqlite's Dialector.DataTypeOf. */
export function dataTypeOf(model: Model, field: ModelField): string {
  switch (field.kind) {
    case 'bool':
      return 'numeric';
    case 'int':
      return isAutoIncrement(model, field) ? 'integer PRIMARY KEY AUTOINCREMENT' : 'integer';
    case 'string':
      return 'text';
    case 'time':
      return 'datetime';
    case 'bytes':
      return 'blob';
    case 'json':
      return 'JSON'; // gorm.io/datatypes JSON.GormDBDataType on sqlite
    case 'uuid':
      return 'uuid'; // the `type:uuid` tag, taken as the type
  }
}

/** gorm/migrator FullDataTypeOf. Bool and int defaults are parsed and explained back, which leaves them as written. */
export function fullDataTypeOf(model: Model, field: ModelField): string {
  let sql = dataTypeOf(model, field);
  if (field.notNull) sql += ' NOT NULL';
  if (field.default !== undefined) sql += ` DEFAULT ${field.default}`;
  return sql;
}

const q = (name: string) => `\`${name}\``;

/** Migrator.CreateTable: columns, PRIMARY KEY unless a type carries it, then the FK constraints. */
export function createTableSql(model: Model): string {
  const parts = model.fields.map((field) => `${q(field.column)} ${fullDataTypeOf(model, field)}`);
  if (!model.fields.some((field) => dataTypeOf(model, field).includes('PRIMARY KEY'))) {
    const keys = model.fields.filter((field) => field.primaryKey);
    if (keys.length > 0) parts.push(`PRIMARY KEY (${keys.map((k) => q(k.column)).join(',')})`);
  }
  for (const rel of model.relations) {
    parts.push(`CONSTRAINT ${q(rel.name)} FOREIGN KEY (${q(rel.column)}) REFERENCES ${q(rel.references[0])}(${q(rel.references[1])}) ON DELETE ${rel.onDelete}`);
  }
  return `CREATE TABLE ${q(model.table)} (${parts.join(',')})`;
}

/** glebarez/sqlite Migrator.CreateIndex, run after the table is created. */
export function createIndexSql(model: Model): string[] {
  return model.indexes.map(
    (idx) => `CREATE ${idx.unique ? 'UNIQUE ' : ''}INDEX ${q(idx.name)} ON ${q(model.table)}(${idx.columns.map(q).join(',')})`,
  );
}
