/**
 * The contract between the statements (written once, in entities/) and a database. sqlite.ts and postgres.ts
 * implement only what differs: rendering, value codecs, transactions, the lock, and what a driver error means.
 */
import type { Fragment, Part, ValueKind } from '../statement.ts';
import type { SchedulerDatabase, SchedulerErrorKind } from '../types.ts';

/** The statements of one open transaction. Each call checks that the transaction is still open. */
export interface SqlSession {
  all<P, R>(statement: Fragment<P, R>, params: P): Promise<R[]>;
  get<P, R>(statement: Fragment<P, R>, params: P): Promise<R | undefined>;
  /** Resolves with the number of rows changed. */
  run<P>(statement: Fragment<P, unknown>, params: P): Promise<number>;
  /** Serialises transactions on (`space`, `key`): an advisory lock on Postgres; SQLite's already run one at a time. */
  lock(space: number, key: string): Promise<void>;
  readonly db: SchedulerDatabase;
}

export interface Dialect {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it rejects. */
  transaction<T>(fn: (session: SqlSession) => Promise<T>): Promise<T>;
  classifyError(error: unknown): SchedulerErrorKind;
}

export interface Renderer {
  table(name: string): string;
  /** The placeholder of the `index`-th bound value (0-based). */
  placeholder(index: number, type: ValueKind): string;
  anyOf(placeholder: string): string;
  bool(value: boolean): string;
  lock(of: string | undefined, skipLocked: boolean): string;
  output(expr: string, alias: string, type: ValueKind): string;
  /** Postgres binds a name once and refers to it by number; SQLite binds every occurrence. */
  readonly reusesParams: boolean;
  readonly encode: Readonly<Record<ValueKind, (value: unknown) => unknown>>;
  /** Decoders of output columns whose driver value is not already the row's value. */
  readonly decode: Readonly<Partial<Record<ValueKind, (value: unknown) => unknown>>>;
}

export interface Compiled {
  readonly text: string;
  bind(params: unknown): unknown[];
  decode(row: Record<string, unknown>): void;
}

/** Renders a template; cache the result per statement (see `compiler`). */
export function compile(parts: readonly Part[], r: Renderer): Compiled {
  const names: string[] = [];
  const encoders: ((value: unknown) => unknown)[] = [];
  const decoders: [string, (value: unknown) => unknown][] = [];
  const bound = (name: string, type: ValueKind) => {
    const existing = r.reusesParams ? names.indexOf(name) : -1;
    if (existing >= 0) return r.placeholder(existing, type);
    names.push(name);
    encoders.push(r.encode[type]);
    return r.placeholder(names.length - 1, type);
  };
  const render = (list: readonly Part[]): string => {
    let text = '';
    for (const p of list) {
      if (p.kind === 'sql') text += p.text;
      else if (p.kind === 'table') text += r.table(p.name);
      else if (p.kind === 'param') text += bound(p.name, p.type);
      else if (p.kind === 'anyOf') text += r.anyOf(bound(p.name, p.type));
      else if (p.kind === 'bool') text += r.bool(p.value);
      else if (p.kind === 'lock') text += r.lock(p.of, p.skipLocked);
      else {
        text += r.output(typeof p.expr === 'string' ? p.expr : render(p.expr), p.alias, p.type);
        const decode = r.decode[p.type];
        if (decode) decoders.push([p.alias, decode]);
      }
    }
    return text;
  };
  const text = render(parts);
  return {
    text,
    bind: (params) => names.map((name, i) => encoders[i]!(typeof params === 'object' && params ? Reflect.get(params, name) : undefined)),
    decode: (row) => {
      for (const [alias, decode] of decoders) row[alias] = decode(row[alias]);
    },
  };
}

/** Compiles each statement once per renderer (statements are module constants, so they key a WeakMap). */
export function compiler(renderer: Renderer): (statement: Fragment<unknown, unknown>) => Compiled {
  const cache = new WeakMap<Fragment<unknown, unknown>, Compiled>();
  return (statement) => {
    let compiled = cache.get(statement);
    if (!compiled) cache.set(statement, (compiled = compile(statement.parts, renderer)));
    return compiled;
  };
}

/** Shared codecs: nulls stay null, and integers may come back as text (bigint). */
export const nullable = (decode: (value: unknown) => unknown) => (value: unknown): unknown =>
  value === null || value === undefined ? null : decode(value);

export const asIs = (value: unknown) => value ?? null;
export const toInt = nullable(Number);
export const toBuffer = nullable((bytes) => (bytes instanceof Uint8Array ? Buffer.from(bytes) : bytes));

/** JSON text (a bare number may come back as a number from SQLite's NUMERIC affinity). */
export const fromJson = nullable((value) => (typeof value === 'string' ? JSON.parse(value) : value));

/** Null and undefined are SQL NULL. */
export const toJson = nullable((value) => JSON.stringify(value));

/** The driver's error in `error`'s cause chain (drizzle and other wrappers keep it there), if any. */
export function driverError<E>(error: unknown, type: abstract new (...args: never[]) => E): E | undefined {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) if (e instanceof type) return e;
  return undefined;
}
