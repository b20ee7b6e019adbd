/**
 * The two things about Piri's SQLite rows that piri-db's code would get wrong, fixed in place:
 *
 * - Times. Piri writes its own times in the host's local zone (`2006-01-02 15:04:05.999999999-07:00` in the
 *   scheduler, `2006-01-02T15:04:05.000+02:00` in the plain queues) beside UTC defaults. piri-db compares these
 *   columns as text (a queue's `timeout <= now`, `ORDER BY update_time`), so on a host east of UTC a job would read
 *   as delayed by the zone's offset, and one west of it as due too early. Every value not in piri-db's UTC form is
 *   rewritten as the same instant in it; a value SQLite cannot read as a time is left alone and counted.
 * - Reused ids. Piri's `jobs` is a rowid table without AUTOINCREMENT, so a drained queue hands out ids again, and the
 *   dead letter of a reused id collides with the earlier one in `job_dead`. The pending migrations rebuild `jobs`
 *   with AUTOINCREMENT; its sequence is then seeded past every id either table holds, and a live job whose id a
   dead letter already has gets a new one (Piri is stopped: no worker holds it).
 */
import type BetterSqlite3 from 'better-sqlite3';
import { allRows, columnValues, firstValue, onlyRow, onlyValue } from '../../backend/sqlite/rows.ts';
import type { StoreDefinition } from '../../catalog/registry.ts';
import { storeTables } from '../catalog.ts';

const D = '[0-9]';
const DATE = `${D}${D}${D}${D}-${D}${D}-${D}${D}`;
const CLOCK = `${D}${D}:${D}${D}:${D}${D}`;

/** piri-db's forms of a time, as GLOB patterns, and the expression that writes a value in the first of them. */
const FORMS = {
  // The plain queues' fixed width UTC form (schema/sqlite/columns.ts, queueTime).
  queue: { keep: [`${DATE}T${CLOCK}.${D}${D}${D}Z`], write: (c: string) => `strftime('%Y-%m-%dT%H:%M:%fZ', ${c})` },
  // GORM datetime: piri-db's `YYYY-MM-DD HH:MM:SS.mmm+00:00`, or CURRENT_TIMESTAMP's `YYYY-MM-DD HH:MM:SS` (UTC).
  datetime: {
    keep: [`${DATE} ${CLOCK}.${D}${D}${D}+00:00`, `${DATE} ${CLOCK}`],
    write: (c: string) => `strftime('%Y-%m-%d %H:%M:%f', ${c}) || '+00:00'`,
  },
} as const;

export interface TimeFix {
  readonly table: string;
  readonly column: string;
  readonly form: keyof typeof FORMS;
  /** Values to rewrite. */
  readonly rows: number;
  /** Values SQLite cannot read as a time: left as they are. */
  readonly unreadable: number;
}

function condition(column: string, form: keyof typeof FORMS): string {
  const c = `"${column}"`;
  return `${c} IS NOT NULL AND ${FORMS[form].keep.map((p) => `${c} NOT GLOB '${p}'`).join(' AND ')}`;
}

/** Every time column of the store with values to rewrite. */
export function timeFixes(db: BetterSqlite3.Database, store: StoreDefinition): TimeFix[] {
  const fixes: TimeFix[] = [];
  for (const table of storeTables(store)) {
    const declared = new Map(
      allRows<{ name: string; type: string }>(db.prepare(`SELECT name, type FROM pragma_table_info(?)`), table.name).map((c) => [c.name, c.type]),
    );
    for (const column of table.columns.filter((c) => c.kind === 'timestamp' && declared.has(c.name))) {
      const form = declared.get(column.name)!.toLowerCase() === 'datetime' ? 'datetime' : 'queue';
      const where = condition(column.name, form);
      const { rows, unreadable } = onlyRow<{ rows: number; unreadable: number }>(
        db.prepare(
          `SELECT count(*) AS rows, coalesce(sum(strftime('%s', "${column.name}") IS NULL), 0) AS unreadable FROM "${table.name}" WHERE ${where}`,
        ),
      );
      if (rows > 0) fixes.push({ table: table.name, column: column.name, form, rows: rows - unreadable, unreadable });
    }
  }
  return fixes;
}

/** Rewrites a column's times with the table's triggers off (the queue's AFTER UPDATE trigger would restamp `updated`). */
export function normaliseTimes(db: BetterSqlite3.Database, fix: TimeFix): number {
  const triggers = allRows<{ name: string; sql: string }>(
    db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ?`),
    fix.table,
  );
  for (const t of triggers) db.exec(`DROP TRIGGER "${t.name}"`);
  const c = `"${fix.column}"`;
  const changed = db
    .prepare(`UPDATE "${fix.table}" SET ${c} = ${FORMS[fix.form].write(c)} WHERE ${condition(fix.column, fix.form)} AND strftime('%s', ${c}) IS NOT NULL`)
    .run().changes;
  for (const t of triggers) db.exec(t.sql);
  return changed;
}

/** Live tables whose ids are copied into a dead-letter table, which must never see one of them twice. */
const DEAD_LETTER_IDS: readonly { store: string; table: string; deadLetters: string }[] = [
  { store: 'aggregator', table: 'jobs', deadLetters: 'job_dead' },
];

export interface IdSeed {
  readonly table: string;
  readonly deadLetters: string;
  /** The highest id either table holds: the next id is above it. */
  readonly value: number;
  /** Live ids a dead letter already has (Piri reused them): they get new ids above `value`, or they could never be dead-lettered. */
  readonly reused: readonly number[];
}

export function idSeeds(db: BetterSqlite3.Database, store: StoreDefinition): IdSeed[] {
  return DEAD_LETTER_IDS.filter((d) => d.store === store.name).map(({ table, deadLetters }) => ({
    table,
    deadLetters,
    value: onlyValue<number>(
      db.prepare(`SELECT max(coalesce((SELECT max(id) FROM "${table}"), 0), coalesce((SELECT max(id) FROM "${deadLetters}"), 0))`),
    ),
    reused: columnValues<number>(db.prepare(`SELECT id FROM "${table}" WHERE id IN (SELECT id FROM "${deadLetters}") ORDER BY id`)),
  }));
}

/** Moves reused live ids above the seed, then raises the AUTOINCREMENT sequence past them (never lowers it). */
export function seedIds(db: BetterSqlite3.Database, seed: IdSeed): number {
  let next = seed.value;
  const move = db.prepare(`UPDATE "${seed.table}" SET id = ? WHERE id = ?`);
  for (const id of seed.reused) move.run(++next, id);
  const current = firstValue<number>(db.prepare(`SELECT seq FROM sqlite_sequence WHERE name = ?`), seed.table);
  if (current === undefined) db.prepare(`INSERT INTO sqlite_sequence (name, seq) VALUES (?, ?)`).run(seed.table, next);
  else if (current < next) db.prepare(`UPDATE sqlite_sequence SET seq = ? WHERE name = ?`).run(next, seed.table);
  return next;
}
