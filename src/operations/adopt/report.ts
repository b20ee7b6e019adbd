/** What adopt reports: per store, each table's rows before and after, and every change made, in order. */
import type { Migration } from '../../backend/migrations.ts';
import type { StoreName } from '../../catalog/registry.ts';
import type { Collision } from './plan.ts';
import type { IdSeed, TimeFix } from './sqlite-data.ts';

/** One table of an adopted store: its rows before adoption and after (always the same: adopt keeps every row). */
export interface AdoptedTable {
  readonly table: string;
  readonly rowsBefore: number;
  /** Absent in a dry run. */
  readonly rowsAfter?: number;
}

/** One store's adoption: its tables and the changes made to it (in a dry run, the changes it would make). */
export interface StoreAdoption {
  readonly store: StoreName;
  readonly tables: readonly AdoptedTable[];
  readonly changes: readonly string[];
}

export function changeLog(): { readonly list: string[]; add(change: string): void } {
  const list: string[] = [];
  return { list, add: (change) => void list.push(change) };
}

export function tableCounts(tables: readonly string[], count: (table: string) => number): Map<string, number> {
  return new Map(tables.map((t) => [t, count(t)]));
}

/** The words for each change, shared by a dry run (what would change) and an adoption (what changed). */
export const describeChange = {
  baseline: (m: Migration) => `record ${m.tag} as applied: Piri's schema has its tables`,
  time: (fix: TimeFix) =>
    `rewrite ${fix.rows} ${fix.table}.${fix.column} value(s) written in a local zone as the same instant in UTC` +
    (fix.unreadable > 0 ? ` (${fix.unreadable} that are not times stay as they are)` : ''),
  drop: (c: Collision) => `drop Piri's ${c.kind} ${c.name}${c.table ? ` on ${c.table}` : ''}: ${c.by} creates piri-db's`,
  apply: (m: Migration) => `apply ${m.tag}`,
  seed: (seed: IdSeed) =>
    `${seed.table} ids continue above ${seed.value + seed.reused.length}, past every id in ${seed.table} and ${seed.deadLetters}: never reused` +
    (seed.reused.length > 0
      ? `; live id(s) a dead letter already has renumbered: ${seed.reused.map((id, i) => `${id} -> ${seed.value + 1 + i}`).join(', ')}`
      : ''),
};
