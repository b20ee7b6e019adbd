/**
 * Statements are written once, as typed templates that each dialect renders: SQL text with markers for what differs
 * (table names, parameters, GORM booleans, list membership, row locks, converted output columns). A statement's params
 * and row types are inferred from its markers; whole-table select lists come from the drizzle schema.
 */
import { getTableColumns, getTableName, type Table } from 'drizzle-orm';

/** How a value is encoded and decoded; only these differ between the dialects. */
export type ValueKind = 'text' | 'int' | 'bool' | 'time' | 'timeText' | 'bytes' | 'json' | 'uuid' | 'ints' | 'texts';

export type Part =
  | { readonly kind: 'sql'; readonly text: string }
  | { readonly kind: 'table'; readonly name: string }
  | { readonly kind: 'param'; readonly name: string; readonly type: ValueKind }
  /** `IN (<list>)` / `= ANY(<list>)` over an `ints` or `texts` parameter. */
  | { readonly kind: 'anyOf'; readonly name: string; readonly type: 'ints' | 'texts' }
  | { readonly kind: 'output'; readonly expr: string | readonly Part[]; readonly alias: string; readonly type: ValueKind }
  | { readonly kind: 'bool'; readonly value: boolean }
  /** Postgres row locks; nothing on SQLite, whose transactions already run one at a time. */
  | { readonly kind: 'lock'; readonly of: string | undefined; readonly skipLocked: boolean };

/** A template, typed by its parameter object `P` and row `R`. */
export interface Fragment<P = unknown, R = unknown> {
  readonly parts: readonly Part[];
  /** Phantom: never set. */
  readonly types?: { readonly params: P; readonly row: R };
}

type Intersect<U> = (U extends unknown ? (u: U) => void : never) extends (i: infer I) => void ? I : never;
/** `unknown` (a marker without params or outputs) would swallow the union below; `{}` drops out of the intersection. */
type Known<T> = unknown extends T ? {} : T;
type ParamsOf<V extends readonly unknown[]> = Intersect<
  { [I in keyof V]: V[I] extends Fragment<infer P, unknown> ? Known<P> : {} }[number]
>;
type OutputsOf<V extends readonly unknown[]> = Intersect<
  { [I in keyof V]: V[I] extends Fragment<unknown, infer R> ? Known<R> : {} }[number]
>;
type Flat<T> = { [K in keyof T]: T[K] } & {};

/** The template tag: interpolate markers and fragments; a string or number is inlined as SQL text. */
export function sql<V extends readonly (Fragment<unknown, unknown> | string | number)[]>(
  strings: TemplateStringsArray,
  ...values: V
): Fragment<Flat<ParamsOf<V>>, Flat<OutputsOf<V>>> {
  const parts: Part[] = [];
  strings.forEach((text, i) => {
    parts.push({ kind: 'sql', text });
    if (i >= values.length) return;
    const value = values[i]!;
    if (typeof value === 'object') parts.push(...value.parts);
    else parts.push({ kind: 'sql', text: String(value) });
  });
  return { parts };
}

const part = <P, R>(p: Part): Fragment<P, R> => ({ parts: [p] });

export const table = (t: Table): Fragment<unknown, unknown> => part({ kind: 'table', name: getTableName(t) });

/** A named parameter of type `T`; the same name may appear several times. */
function param<T>(type: ValueKind) {
  return <N extends string>(name: N): Fragment<{ readonly [K in N]: T }, unknown> => part({ kind: 'param', name, type });
}

/** `time` takes epoch ms; `timeText` a time as the database printed it; `…OrNull` also takes NULL. */
export const p = {
  text: param<string>('text'),
  int: param<number>('int'),
  intOrNull: param<number | null>('int'),
  bool: param<boolean>('bool'),
  boolOrNull: param<boolean | null>('bool'),
  time: param<number>('time'),
  timeText: param<string>('timeText'),
  bytes: param<Uint8Array>('bytes'),
  json: param<unknown>('json'),
  uuid: param<string>('uuid'),
  textsOrNull: param<readonly string[] | null>('texts'),
};

export type Params<S> = S extends Fragment<infer P, unknown> ? P : never;

export type Row<S> = S extends Fragment<unknown, infer R> ? R : never;

function list<T>(type: 'ints' | 'texts') {
  return <N extends string>(name: N): Fragment<{ readonly [K in N]: readonly T[] }, unknown> => part({ kind: 'anyOf', name, type });
}

/** `column IN list` on SQLite, `column = ANY(list)` on Postgres: write `root ${anyOf.texts('roots')}`. */
export const anyOf = { ints: list<number>('ints'), texts: list<string>('texts') };

/** A GORM boolean literal: `1`/`0` on SQLite (numeric), `true`/`false` on Postgres. */
export const TRUE = part<unknown, unknown>({ kind: 'bool', value: true });
export const FALSE = part<unknown, unknown>({ kind: 'bool', value: false });

/** `FOR UPDATE [OF alias] [SKIP LOCKED]` on Postgres. */
export const forUpdate = (options: { of?: string; skipLocked?: boolean } = {}) =>
  part<unknown, unknown>({ kind: 'lock', of: options.of, skipLocked: options.skipLocked ?? false });

/** One output column `expr AS alias`, converted by kind (`time` becomes epoch ms). */
function output<T>(type: ValueKind) {
  return <A extends string, P = unknown>(alias: A, expr: string | Fragment<P, unknown> = snake(alias)) =>
    part<P, { readonly [K in A]: T }>({ kind: 'output', expr: typeof expr === 'string' ? expr : expr.parts, alias, type });
}

/** The default expression is the alias in snake_case. */
export const out = {
  text: output<string>('text'),
  int: output<number>('int'),
  nullInt: output<number | null>('int'),
  bool: output<boolean>('bool'),
  time: output<number>('time'),
  timeText: output<string>('timeText'),
  json: output<unknown>('json'),
};

/** A drizzle table's row as the scheduler reads it: times as `<name>Ms` epoch ms, bytes as Uint8Array. */
export type RowOf<T extends Table> = {
  readonly [K in keyof Select<T> as Select<T>[K] extends Date | null ? `${K & string}Ms` : K]: Value<Select<T>[K]>;
};

type Select<T extends Table> = T['$inferSelect'];

type Value<V> = V extends Date ? number : V extends Buffer ? Uint8Array : V;

/** Every column of a table as output columns (prefixed with `alias.` when given), typed `RowOf<T>`. */
export function columns<T extends Table>(t: T, alias?: string): Fragment<unknown, RowOf<T>> {
  const parts: Part[] = [];
  for (const [key, column] of Object.entries(getTableColumns(t))) {
    if (parts.length > 0) parts.push({ kind: 'sql', text: ', ' });
    const type = kindOf(column.getSQLType());
    const expr = alias ? `${alias}.${column.name}` : column.name;
    parts.push({ kind: 'output', expr, alias: type === 'time' ? `${key}Ms` : key, type });
  }
  return { parts };
}

function kindOf(sqlType: string): ValueKind {
  if (sqlType.startsWith('timestamp')) return 'time';
  if (sqlType === 'boolean') return 'bool';
  if (sqlType.startsWith('big') || sqlType === 'integer') return 'int';
  if (sqlType === 'jsonb') return 'json';
  if (sqlType === 'bytea') return 'bytes';
  if (sqlType === 'uuid') return 'uuid';
  return 'text';
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
}
