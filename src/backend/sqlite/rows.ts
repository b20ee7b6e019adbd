/**
 * Rows out of better-sqlite3, typed. The driver types every row as `unknown`: what a row holds is set by the
 * statement's select list (its column names or aliases; with pluck, its first column) and by the statement's modes
 * (safeIntegers: integers as bigint; raw: arrays instead of objects). The caller, which wrote that SQL, names the
 * row type; these functions are the one place where the driver's `unknown` is taken to be it (the driver boundary),
 * so no statement elsewhere asserts a type of its own. The SQLite counterpart of postgres-js's `sql<Row[]>`.
 */
import type Database from 'better-sqlite3';

type Statement = Database.Statement<unknown[]>;

/** Every row `statement` returns for `params`. */
export function allRows<Row>(statement: Statement, ...params: unknown[]): Row[] {
  // driver boundary: better-sqlite3 returns the rows the statement's select list describes, typed unknown.
  return statement.all(...params) as Row[];
}

/** The first row `statement` returns for `params`; undefined when it returns none. */
export function firstRow<Row>(statement: Statement, ...params: unknown[]): Row | undefined {
  // driver boundary: better-sqlite3 returns the row the statement's select list describes, typed unknown.
  return statement.get(...params) as Row | undefined;
}

/** The rows `statement` returns for `params`, one at a time. */
export function eachRow<Row>(statement: Statement, ...params: unknown[]): IterableIterator<Row> {
  // driver boundary: better-sqlite3 returns the rows the statement's select list describes, typed unknown.
  return statement.iterate(...params) as IterableIterator<Row>;
}

/** The first column of every row (the statement is switched to pluck mode). */
export function columnValues<Value>(statement: Statement, ...params: unknown[]): Value[] {
  return allRows<Value>(statement.pluck(), ...params);
}

/** The first column of the first row (pluck mode); undefined when there is no row. */
export function firstValue<Value>(statement: Statement, ...params: unknown[]): Value | undefined {
  return firstRow<Value>(statement.pluck(), ...params);
}

/** The row of a statement that always returns one, such as an aggregate without GROUP BY. */
export function onlyRow<Row>(statement: Statement, ...params: unknown[]): Row {
  const row = firstRow<Row>(statement, ...params);
  if (row === undefined) throw new Error(`expected a row from ${statement.source}, got none`);
  return row;
}

/** onlyRow's first column (pluck mode: a value is never undefined, SQL NULL is null). */
export function onlyValue<Value>(statement: Statement, ...params: unknown[]): Value {
  return onlyRow<Value>(statement.pluck(), ...params);
}

/** The rows of a pragma that returns rows (integrity_check, foreign_key_check, ...). */
export function pragmaRows<Row>(client: Database.Database, pragma: string): Row[] {
  // driver boundary: better-sqlite3 returns the pragma's rows, typed unknown.
  return client.pragma(pragma) as Row[];
}
