/**
 * The migrations this build ships (drizzle/<dialect>/<store>/, written by drizzle-kit) and the plan for a
 * store: which are pending, and whether the database holds migrations this build does not know.
 *
 * We apply them ourselves instead of calling drizzle's migrate(): it reads the journal outside any lock, runs
 * every pending migration in one transaction (so a failure cannot name the migration) and never notices a
 * database written by a newer build. The journal table keeps drizzle's shape (id, hash, created_at).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MigrationError } from '../errors.ts';
import { PACKAGE_ROOT } from '../package-root.ts';
import type { Dialect, StoreDefinition } from '../catalog/registry.ts';

export interface Migration {
  /** File name without .sql, e.g. `0001_queue_triggers`. */
  readonly tag: string;
  /** drizzle-kit's journal timestamp; identifies the migration in the database's journal. */
  readonly createdAt: number;
  readonly hash: string;
  readonly statements: readonly string[];
}

/** One row of a store's migration journal. */
export interface AppliedMigration {
  readonly hash: string;
  readonly createdAt: number;
}

export interface MigrationPlan {
  readonly applied: readonly Migration[];
  readonly pending: readonly Migration[];
}

const MIGRATIONS_ROOT = join(PACKAGE_ROOT, 'drizzle/');
const cache = new Map<string, readonly Migration[]>();

export function shippedMigrations(dialect: Dialect, store: StoreDefinition): readonly Migration[] {
  const folder = `${MIGRATIONS_ROOT}${dialect}/${store.name}`;
  let migrations = cache.get(folder);
  if (!migrations) {
    const journal = `${folder}/meta/_journal.json`;
    migrations = journalEntries(JSON.parse(readFileSync(journal, 'utf8')), journal).map(({ tag, when }) => {
      const text = readFileSync(`${folder}/${tag}.sql`, 'utf8');
      return {
        tag,
        createdAt: when,
        hash: createHash('sha256').update(text).digest('hex'),
        statements: text.split('--> statement-breakpoint').filter((s) => s.trim() !== ''),
      };
    });
    cache.set(folder, migrations);
  }
  return migrations;
}

/** drizzle-kit's meta/_journal.json: each migration's tag (its .sql file's name) and timestamp, in order. */
function journalEntries(journal: unknown, file: string): { tag: string; when: number }[] {
  const entries = typeof journal === 'object' && journal !== null && 'entries' in journal ? journal.entries : undefined;
  if (!Array.isArray(entries)) throw new Error(`${file} has no list of entries`);
  const list: readonly unknown[] = entries;
  return list.map((entry, i) => {
    if (typeof entry === 'object' && entry !== null && 'tag' in entry && 'when' in entry) {
      const { tag, when } = entry;
      if (typeof tag === 'string' && typeof when === 'number') return { tag, when };
    }
    throw new Error(`${file}: entry ${i} has no text tag and numeric when`);
  });
}

/** Refuses a database that holds a migration this build does not ship: it was written by a newer piri-db. */
export function planMigrations(
  dialect: Dialect,
  store: StoreDefinition,
  journal: readonly AppliedMigration[],
): MigrationPlan {
  const shipped = shippedMigrations(dialect, store);
  const known = new Set(shipped.map((m) => m.createdAt));
  const unknown = journal.filter((row) => !known.has(row.createdAt));
  if (unknown.length > 0) {
    const last = shipped.at(-1);
    throw new MigrationError(
      'DATABASE_TOO_NEW',
      `store ${store.name} holds ${unknown.length} migration(s) this build does not know ` +
        `(newest applied ${new Date(Math.max(...unknown.map((u) => u.createdAt))).toISOString()}, ` +
        `newest known ${last ? last.tag : 'none'}): it was set up by a newer piri-db; upgrade piri-db, nothing was changed`,
    );
  }
  const done = new Set(journal.map((row) => row.createdAt));
  return {
    applied: shipped.filter((m) => done.has(m.createdAt)),
    pending: shipped.filter((m) => !done.has(m.createdAt)),
  };
}

export function migrationFailed(store: StoreDefinition, migration: Migration, cause: unknown): MigrationError {
  const reason = driverMessage(cause);
  return new MigrationError(
    'MIGRATION_FAILED',
    `store ${store.name}: migration ${migration.tag} failed and was rolled back: ${reason}`,
    { cause },
  );
}

export function assertTriggers(store: StoreDefinition, present: Iterable<string>): void {
  const have = new Set(present);
  const missing = store.triggers.filter((t) => !have.has(t));
  if (missing.length > 0) {
    throw new MigrationError(
      'SCHEMA_INCOMPLETE',
      `store ${store.name}: trigger(s) ${missing.join(', ')} missing after migration`,
    );
  }
}

function driverMessage(error: unknown): string {
  // drizzle wraps driver errors; the useful text is the driver's.
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  return inner instanceof Error ? inner.message : String(inner);
}
