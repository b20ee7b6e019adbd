/**
 * glebarez/sqlite v1.11.0's parseDDL (ddlmod.go), which GORM's SQLite migrator uses to read a table's columns
 * back from sqlite_master.sql, ported statement by statement with its regular expressions unchanged (Go's RE2
 * picks the same match as JavaScript's backtracking engine for these). Its quirks are the point:
 *  - a column's default is matched by ` DEFAULT \(?(.+)?\)?( |COLLATE|GENERATED|$)`, and the greedy `.+` runs to
 *    the end of the column text, so `DEFAULT false NOT NULL` reads as the default "false NOT NULL";
 *  - `NOT NULL`, `UNIQUE` and `PRIMARY` are found by substring anywhere in the column text;
 *  - a field starting with CONSTRAINT only matters if it is a UNIQUE constraint; FOREIGN KEY clauses without a
 *    name parse as a bogus column called "FOREIGN".
 */

/** What parseDDL knows about one column (a migrator.ColumnType with its Valid flags set). */
export interface DdlColumn {
  readonly name: string;
  /** DataTypeValue: the declared type, minus a trailing length such as `(16)`. */
  readonly dataType: string;
  readonly length?: number;
  primaryKey: boolean;
  unique: boolean;
  readonly nullable: boolean;
  /** DefaultValueValue; undefined when there is no DEFAULT or it is `null`. */
  readonly default?: string;
}

const SEP = '[`|"\'\\t]';
const uniqueRegexp = new RegExp(`^CONSTRAINT ${SEP}?[\\w-]+${SEP}? UNIQUE (.*)$`);
const indexRegexp = new RegExp(`CREATE(?: UNIQUE)? INDEX ${SEP}?[\\w\\d-]+${SEP}?(?:.*?)ON (.*)$`, 'is');
const tableRegexp = new RegExp(`(CREATE TABLE ${SEP}?[\\w\\d-]+${SEP}?)(?:\\s*\\((.*)\\))?`, 'is');
const separatorRegexp = new RegExp(SEP);
const columnsRegexp = new RegExp(`[(,]${SEP}?(\\w+)${SEP}?`, 'g');
const columnRegexp = new RegExp(`^${SEP}?([\\w\\d]+)${SEP}?\\s+([\\w\\(\\)\\d]+)(.*)$`);
const defaultValueRegexp = / DEFAULT \(?(.+)?\)?( |COLLATE|GENERATED|$)/i;
const regRealDataType = /[^\d](\d+)[^\d]?/g;

const allColumns = (s: string) => [...s.matchAll(columnsRegexp)].map((m) => m[1]!);

/** The fields of a CREATE TABLE body, split at top-level commas outside quotes (ddlmod.go's loop). */
function splitFields(body: string): string[] {
  const fields: string[] = [];
  let bracketLevel = 0;
  let quote = '';
  let buf = '';
  const chars = [...body];
  for (let i = 0; i < chars.length; i++) {
    const c = chars[i]!;
    const next = chars[i + 1] ?? '';
    if (separatorRegexp.test(c)) {
      if (c === next) {
        buf += c; // an escaped quote: keep one, skip the other
        i++;
      } else if (quote !== '') {
        quote = '';
      } else {
        quote = c;
      }
    } else if (quote === '') {
      if (c === '(') bracketLevel++;
      else if (c === ')') bracketLevel--;
      else if (bracketLevel === 0 && c === ',') {
        fields.push(buf.trim());
        buf = '';
        continue;
      }
    }
    if (bracketLevel < 0) throw new Error('invalid DDL, unbalanced brackets');
    buf += c;
  }
  if (bracketLevel !== 0) throw new Error('invalid DDL, unbalanced brackets');
  if (buf !== '') fields.push(buf.trim());
  return fields;
}

function parseColumn(name: string, declared: string, rest: string): DdlColumn {
  const upper = rest.toUpperCase();
  const defaultMatch = defaultValueRegexp.exec(rest);
  const dv = defaultMatch ? (defaultMatch[1] ?? '') : undefined; // Go: an unmatched group reads as ""
  const lengths = [...declared.matchAll(regRealDataType)];
  const sized = lengths.length === 1 ? lengths[0]! : undefined;
  return {
    name,
    dataType: sized ? declared.slice(0, declared.length - (declared.endsWith(sized[0]) ? sized[0].length : 0)) : declared,
    ...(sized ? { length: Number(sized[1]) } : {}),
    primaryKey: upper.includes(' PRIMARY'),
    unique: upper.includes(' UNIQUE'),
    nullable: !upper.includes(' NOT NULL'),
    ...(dv !== undefined && dv.toLowerCase() !== 'null' ? { default: dv.replace(/^"+|"+$/g, '') } : {}),
  };
}

/** parseDDL over a table's CREATE TABLE and CREATE INDEX statements; throws where GORM returns an error. */
export function parseDdl(statements: readonly string[]): DdlColumn[] {
  const columns: DdlColumn[] = [];
  for (const statement of statements) {
    const table = tableRegexp.exec(statement);
    if (table) {
      for (const field of splitFields(table[2] ?? '')) {
        const upper = field.toUpperCase();
        if (upper.startsWith('CHECK')) continue;
        if (upper.startsWith('CONSTRAINT')) {
          const unique = uniqueRegexp.exec(field);
          const cols = unique ? allColumns(unique[1]!) : [];
          const column = cols.length === 1 ? columns.find((c) => c.name === cols[0]) : undefined;
          if (column) column.unique = true;
          continue;
        }
        if (upper.startsWith('PRIMARY KEY')) {
          for (const name of allColumns(field)) {
            const column = columns.find((c) => c.name === name);
            if (column) column.primaryKey = true;
          }
          continue;
        }
        const m = columnRegexp.exec(field);
        if (m) columns.push(parseColumn(m[1]!, m[2]!, m[3]!));
      }
    } else if (!indexRegexp.test(statement)) {
      throw new Error('invalid DDL'); // an index does not make its column unique in this version
    }
  }
  return columns;
}
