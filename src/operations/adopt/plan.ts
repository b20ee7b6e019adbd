/**
 * What adopting a store means, computed from piri-db's own migrations against the objects Piri's schema has:
 *
 * - baseline: the leading migrations that create Piri's tables (drizzle/<dialect>/<store>/0000_init). Piri's schema
 *   already has their effect, so they are recorded in the store's journal, never run.
 * - pending: every later migration, run as a boot would run it (its additions, index changes, table rebuilds,
 *   triggers).
 * - collisions: objects of Piri's that a pending migration creates under the same name (Piri's own triggers, and on
 *   Postgres its search_path-bound trigger functions). They are dropped first, so the migration puts piri-db's
 *   version in their place.
 */
import type { Migration } from '../../backend/migrations.ts';
import { shippedMigrations } from '../../backend/migrations.ts';
import type { Dialect, StoreDefinition } from '../../catalog/registry.ts';
import type { SchemaObjects } from './shape.ts';

export type CollisionKind = 'trigger' | 'function' | 'index';

/** An object of Piri's that a pending migration creates again: dropped first. */
export interface Collision {
  readonly kind: CollisionKind;
  readonly name: string;
  /** Triggers and indexes: their table. */
  readonly table?: string;
  /** The migration that creates it again. */
  readonly by: string;
}

export interface MigrationSteps {
  readonly baseline: readonly Migration[];
  readonly pending: readonly Migration[];
  readonly collisions: readonly Collision[];
}

const IDENT = '((?:[`"]?\\w+[`"]?\\.)?[`"]?\\w+[`"]?)';
const CREATE_TABLE = new RegExp(`CREATE\\s+TABLE\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}`, 'gi');
// OR REPLACE is no collision: the migration replaces the object in place.
const CREATE_OBJECT = new RegExp(`CREATE\\s+(?:UNIQUE\\s+)?(TRIGGER|INDEX|FUNCTION)\\s+(?:IF\\s+NOT\\s+EXISTS\\s+)?${IDENT}`, 'gi');
const DROP_OBJECT = new RegExp(`DROP\\s+(TRIGGER|INDEX|FUNCTION|TABLE)\\s+(?:IF\\s+EXISTS\\s+)?${IDENT}`, 'gi');

/** The object's own name: schema and quotes dropped. */
function bareName(identifier: string): string {
  return identifier.split('.').at(-1)!.replace(/[`"]/g, '');
}

/** Tables a migration creates under their final name; `__`-prefixed ones are the scratch side of a rebuild. */
function createdTables(migration: Migration): string[] {
  return migration.statements.flatMap((s) => [...s.matchAll(CREATE_TABLE)].map((m) => bareName(m[1]!))).filter((n) => !n.startsWith('__'));
}

export function migrationSteps(dialect: Dialect, store: StoreDefinition, piri: SchemaObjects): MigrationSteps {
  const shipped = shippedMigrations(dialect, store);
  let split = 0;
  while (split < shipped.length) {
    const tables = createdTables(shipped[split]!);
    if (tables.length === 0 || !tables.every((t) => piri.tables.has(t))) break;
    split++;
  }
  const pending = shipped.slice(split);
  const dropped = new Set<string>();
  const collisions: Collision[] = [];
  for (const migration of pending) {
    for (const statement of migration.statements) {
      const events = [
        ...[...statement.matchAll(DROP_OBJECT)].map((m) => ({ at: m.index, drop: true, kind: m[1]!.toLowerCase(), name: bareName(m[2]!) })),
        ...[...statement.matchAll(CREATE_OBJECT)].map((m) => ({ at: m.index, drop: false, kind: m[1]!.toLowerCase(), name: bareName(m[2]!) })),
      ].sort((a, b) => a.at - b.at);
      for (const event of events) {
        if (event.drop) {
          dropped.add(`${event.kind}:${event.name}`);
          // A dropped table takes its triggers and indexes with it.
          if (event.kind === 'table') {
            for (const [name, table] of [...piri.triggers, ...piri.indexes]) if (table === event.name) dropped.add(`${piri.triggers.has(name) ? 'trigger' : 'index'}:${name}`);
          }
          continue;
        }
        const key = `${event.kind}:${event.name}`;
        if (dropped.has(key) || collisions.some((c) => `${c.kind}:${c.name}` === key)) continue;
        const kind = event.kind;
        // CREATE_OBJECT matches nothing else.
        if (kind !== 'trigger' && kind !== 'function' && kind !== 'index') continue;
        const table = kind === 'trigger' ? piri.triggers.get(event.name) : kind === 'index' ? piri.indexes.get(event.name) : undefined;
        const exists = kind === 'function' ? piri.functions.has(event.name) : table !== undefined;
        if (exists) collisions.push({ kind, name: event.name, ...(table ? { table } : {}), by: migration.tag });
      }
    }
  }
  return { baseline: shipped.slice(0, split), pending, collisions };
}

/** The SQL that drops a collision; triggers before functions, since a function is dropped only once unused. */
export function dropStatements(
  dialect: Dialect,
  store: StoreDefinition,
  collisions: readonly Collision[],
): { collision: Collision; statement: string }[] {
  const order: CollisionKind[] = ['trigger', 'index', 'function'];
  const qualified = (name: string) => (dialect === 'postgres' ? `"${store.pgSchema}"."${name}"` : `"${name}"`);
  const statement = (c: Collision) => {
    if (c.kind === 'trigger') return dialect === 'postgres' ? `DROP TRIGGER "${c.name}" ON ${qualified(c.table!)}` : `DROP TRIGGER "${c.name}"`;
    if (c.kind === 'index') return `DROP INDEX ${qualified(c.name)}`;
    return `DROP FUNCTION ${qualified(c.name)}()`;
  };
  return [...collisions].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind)).map((collision) => ({ collision, statement: statement(collision) }));
}
