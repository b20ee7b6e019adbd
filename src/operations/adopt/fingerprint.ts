/**
 * Is this Piri v0.2.4's schema? Piri's DDL (catalog/piri-schema.ts) is run into a scratch database, an in-memory SQLite
 * one or a Postgres schema inside a transaction that is rolled back, and its shape compared fact by fact with the
 * store's. Anything else, an older or newer Piri or a hand-altered table, is refused before anything is changed:
 * the fix-ups adopt applies are only known to be right for this shape.
 */
import Database from 'better-sqlite3';
import type { Sql } from 'postgres';
import { OperationError } from '../../errors.ts';
import type { StoreDefinition, StoreName } from '../../catalog/registry.ts';
import { PIRI_SCHEMA, PIRI_VERSION } from '../../catalog/piri-schema.ts';
import { compareShapes, postgresShape, type Shape, sqliteShape } from './shape.ts';

const REFERENCE_SCHEMA = 'piri_db_adopt_reference';

export interface ShapeMismatch {
  readonly store: StoreName;
  /** Facts of Piri's schema the store lacks. */
  readonly missing: readonly string[];
  /** Facts of the store Piri's schema does not have. */
  readonly unexpected: readonly string[];
}

const sqliteReferences = new Map<StoreName, Shape>();

export function sqliteReference(store: StoreDefinition): Shape {
  let shape = sqliteReferences.get(store.name);
  if (!shape) {
    const db = new Database(':memory:');
    try {
      for (const statement of PIRI_SCHEMA.sqlite[store.name]) db.exec(statement);
      shape = sqliteShape(db);
    } finally {
      db.close();
    }
    sqliteReferences.set(store.name, shape);
  }
  return shape;
}

class Rollback extends Error {}

/** Piri's shape of a store on this server: built in a scratch schema by a transaction that is always rolled back. */
export async function postgresReference(sql: Sql, store: StoreDefinition): Promise<Shape> {
  let shape: Shape | undefined;
  try {
    await sql.begin(async (tx) => {
      await tx.unsafe(`CREATE SCHEMA ${REFERENCE_SCHEMA}`);
      await tx.unsafe(`SET LOCAL search_path TO ${REFERENCE_SCHEMA}`);
      for (const statement of PIRI_SCHEMA.postgres[store.name]) await tx.unsafe(statement);
      shape = await postgresShape(tx, REFERENCE_SCHEMA);
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback)) throw error;
  }
  return shape!;
}

export function mismatch(store: StoreDefinition, reference: Shape, actual: Shape): ShapeMismatch | undefined {
  const { missing, unexpected } = compareShapes(reference, actual);
  return missing.length === 0 && unexpected.length === 0 ? undefined : { store: store.name, missing, unexpected };
}

/** Refuses, listing every difference, when a store is not in Piri v0.2.4's shape. */
export function assertPiriShape(location: string, mismatches: readonly ShapeMismatch[]): void {
  if (mismatches.length === 0) return;
  const lines = mismatches.flatMap((m) => [
    ...m.missing.map((f) => `${m.store}: missing ${f}`),
    ...m.unexpected.map((f) => `${m.store}: not in Piri ${PIRI_VERSION}: ${f}`),
  ]);
  throw new OperationError(
    'SOURCE_NOT_READY',
    `${location} does not have the schema of Piri ${PIRI_VERSION}, the only one piri-db can adopt; nothing was changed. ` +
      `Differences: ${lines.join('; ')}`,
  );
}
