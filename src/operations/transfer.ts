/**
 * The steps copy and restore share: check the source is whole and current, check the target is empty, move
 * the rows table by table, carry the sequences, verify. Dialect-free: everything goes through the Snapshot
 * and LoadTarget interfaces.
 */
import { type AppliedMigration, type Migration, planMigrations, shippedMigrations } from '../backend/migrations.ts';
import { MigrationError, OperationError } from '../errors.ts';
import { type Dialect, type StoreDefinition, type StoreName, STORES } from '../catalog/registry.ts';
import { type AppTableSpec, type AppTablesMode, appTableNames, parentsFirst, storeTables, type TableSpec } from './catalog.ts';
import type { TableDigest } from './digest.ts';
import { TableDigester } from './digest.ts';
import type { LoadTarget, SequenceMark, Snapshot } from './endpoints.ts';
import type { ProgressListener } from './progress.ts';
import { rowConverter, type RawRow, ValueError } from './values.ts';

export const DEFAULT_BATCH_SIZE = 1000;

/** One table's result: rows and checksum, as verified on the target. */
export interface TableReport {
  readonly store: StoreName;
  readonly table: string;
  readonly rows: number;
  readonly checksum: string;
}

export const tableKey = (table: { store: string; name: string }): string => `${table.store}.${table.name}`;

/**
 * The journal of every store of a source, which must be set up and fully migrated by this build: a copy
 * takes everything or nothing, and a source with pending migrations would be copied in an old shape.
 */
export async function currentJournals(source: Snapshot): Promise<Map<StoreName, readonly AppliedMigration[]>> {
  const journals = new Map<StoreName, readonly AppliedMigration[]>();
  const missing: string[] = [];
  const pending: string[] = [];
  for (const store of STORES) {
    const journal = await source.journal(store);
    if (journal === undefined || journal.length === 0) {
      missing.push(store.name);
      continue;
    }
    const plan = planMigrations(source.dialect, store, journal);
    if (plan.pending.length > 0) pending.push(`${store.name}: ${plan.pending.map((m) => m.tag).join(', ')}`);
    journals.set(store.name, journal);
  }
  if (missing.length === STORES.length) {
    throw new OperationError('SOURCE_NOT_READY', `${source.location} holds no piri-db installation: nothing to copy`);
  }
  if (missing.length > 0) {
    throw new OperationError(
      'SOURCE_NOT_READY',
      `store(s) ${missing.join(', ')} are not set up in ${source.location}: run \`piri-db migrate\` on it first`,
    );
  }
  if (pending.length > 0) {
    throw new OperationError(
      'SOURCE_NOT_READY',
      `${source.location} has pending migrations (${pending.join('; ')}): run \`piri-db migrate\` on it first, then copy`,
    );
  }
  return journals;
}

/** A table an application added to a store, by name. */
export interface AppTableName {
  readonly store: StoreName;
  readonly name: string;
}

/** An application's table an operation found, and what it did with it. */
export interface AppTableReport {
  readonly store: StoreName;
  readonly table: string;
  readonly action: 'carried' | 'skipped';
  /** Carried tables: the rows that arrived (a backup: the rows it holds). */
  readonly rows?: number;
}

/** This build's tables that the source holds, and the tables an application added beside them. */
export async function sourceTables(
  source: Snapshot,
  stores: readonly StoreDefinition[],
): Promise<{ tables: TableSpec[]; appTables: AppTableName[] }> {
  const tables: TableSpec[] = [];
  const appTables: AppTableName[] = [];
  for (const store of stores) {
    const present = await source.tableNames(store);
    appTables.push(...appTableNames(store, present).map((name) => ({ store: store.name, name })));
    tables.push(...storeTables(store).filter((t) => present.includes(t.name)));
  }
  return { tables, appTables };
}

/**
 * The application's tables an operation carries (none when it skips them), described by the source, parents
 * first. A table definition cannot be translated faithfully between backends: carrying one to the other backend
 * is refused, before anything is written, naming the tables and the way out.
 */
export async function appTablesToCarry(
  source: Snapshot,
  found: readonly AppTableName[],
  mode: AppTablesMode,
  targetDialect: Dialect,
): Promise<AppTableSpec[]> {
  if (mode === 'skip' || found.length === 0) return [];
  if (targetDialect !== source.dialect) {
    throw new OperationError(
      'OPERATION_FAILED',
      `${source.location} holds table(s) the application added (${found.map(tableKey).join(', ')}), and piri-db cannot carry a ` +
        `table from ${source.dialect} to ${targetDialect}: its definition does not translate faithfully; nothing was changed. ` +
        `Run again with --app-tables skip (appTables: 'skip') to leave them out, and let the application create them on the target`,
    );
  }
  const described: AppTableSpec[] = [];
  for (const store of STORES) {
    const names = found.filter((t) => t.store === store.name);
    const specs = await Promise.all(names.map((t) => source.appTable(store, t.name)));
    described.push(...parentsFirst(store, specs));
  }
  return described;
}

/** What became of each application's table found: carried (with the rows that arrived) or skipped. */
export function appTableReports(found: readonly AppTableName[], carried: readonly TableReport[]): AppTableReport[] {
  return found.map((t) => {
    const report = carried.find((c) => c.store === t.store && c.table === t.name);
    return report
      ? { store: t.store, table: t.name, action: 'carried', rows: report.rows }
      : { store: t.store, table: t.name, action: 'skipped' };
  });
}

/** Refuses to carry an application's table onto a table of the same name the target already has. */
export async function assertNoAppTableClash(target: LoadTarget, carried: readonly AppTableSpec[]): Promise<void> {
  const clashes: string[] = [];
  for (const store of STORES) {
    const present = new Set(await target.tableNames(store));
    clashes.push(...carried.filter((t) => t.store === store.name && present.has(t.name)).map(tableKey));
  }
  if (clashes.length === 0) return;
  throw new OperationError(
    'TARGET_NOT_EMPTY',
    `${target.location} already has the application's table(s) ${clashes.join(', ')}: carrying them would collide; ` +
      `drop them there first, or run with --app-tables skip (appTables: 'skip') to leave them out`,
  );
}

/** Refuses a target holding any row: copy and restore only ever fill an empty installation. */
export async function assertEmpty(target: LoadTarget, verb: string): Promise<void> {
  const occupied = await target.occupied();
  if (occupied.length === 0) return;
  const shown = occupied.slice(0, 5).join(', ') + (occupied.length > 5 ? `, and ${occupied.length - 5} more` : '');
  throw new OperationError(
    'TARGET_NOT_EMPTY',
    `refusing to ${verb} into ${target.location}: it already holds data (${shown}). ${verb} only fills an empty ` +
      `installation: if an interrupted ${verb} left this data behind, empty the target and run ${verb} again; to empty it, ${target.emptyingHint}`,
  );
}

/**
 * The migrations a target must be brought to, given the source's journal (a copy: every migration this build
 * ships for the target's dialect, the source being current) or a backup's (a restore: exactly those, which
 * must be a prefix of what this build ships).
 */
export function migrationsToApply(dialect: Dialect, journals: ReadonlyMap<StoreName, readonly AppliedMigration[]> | 'all'): Map<StoreName, readonly Migration[]> {
  const wanted = new Map<StoreName, readonly Migration[]>();
  for (const store of STORES) {
    const shipped = shippedMigrations(dialect, store);
    if (journals === 'all') {
      wanted.set(store.name, shipped);
      continue;
    }
    const journal = journals.get(store.name) ?? [];
    const { applied } = planMigrations(dialect, store, journal);
    if (applied.some((m, i) => shipped[i] !== m)) {
      throw new MigrationError(
        'DATABASE_TOO_NEW',
        `store ${store.name}: the backup's migrations (${applied.map((m) => m.tag).join(', ')}) are not a prefix of this build's`,
      );
    }
    wanted.set(store.name, applied);
  }
  return wanted;
}

/** Refuses a target that already holds a migration the load would not apply (a different or newer build). */
export async function assertTargetJournals(target: LoadTarget, wanted: ReadonlyMap<StoreName, readonly Migration[]>): Promise<void> {
  for (const store of STORES) {
    const want = new Set((wanted.get(store.name) ?? []).map((m) => m.createdAt));
    const extra = (await target.journal(store)).filter((m) => !want.has(m.createdAt));
    if (extra.length > 0) {
      throw new OperationError(
        'TARGET_NOT_EMPTY',
        `store ${store.name} in ${target.location} already has ${extra.length} migration(s) the data being loaded was not written with; ` +
          `load into a new installation (${target.emptyingHint})`,
      );
    }
  }
}

export interface TransferOptions {
  readonly batchSize?: number;
  readonly onProgress?: ProgressListener;
  /** Sequence marks to apply instead of the snapshot's (a restore has them in its manifest). */
  readonly sequences?: (table: TableSpec) => readonly SequenceMark[] | undefined;
}

/**
 * Loads every table, parents first, each in one target transaction; the source's digest is taken from the
 * very rows that are loaded. Then carries the sequences. Returns the source digests.
 */
export async function transfer(
  source: Snapshot,
  target: LoadTarget,
  tables: readonly TableSpec[],
  options: TransferOptions = {},
): Promise<Map<string, TableDigest>> {
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const progress = options.onProgress ?? (() => {});
  const totals = new Map<string, number>();
  for (const table of tables) totals.set(tableKey(table), await source.count(table));
  const overallTotal = [...totals.values()].reduce((a, b) => a + b, 0);
  let overallDone = 0;
  const digests = new Map<string, TableDigest>();
  for (const table of tables) {
    const total = totals.get(tableKey(table))!;
    const digester = new TableDigester(source.dialect, table);
    const convert = rowConverter(source.dialect, target.dialect, table);
    let done = 0;
    const report = () =>
      progress({ kind: 'rows', store: table.store, table: table.name, done, total, overallDone, overallTotal });
    report();
    async function* batches(): AsyncIterable<RawRow[]> {
      for await (const rows of source.rows(table, batchSize)) {
        digester.add(rows);
        yield convert(rows);
      }
    }
    try {
      await target.load(table, batches(), (rows) => {
        done += rows;
        overallDone += rows;
        report();
      });
    } catch (error) {
      if (error instanceof ValueError) {
        throw new OperationError('OPERATION_FAILED', `cannot move a value into ${target.location}: ${error.message}; nothing was recorded`);
      }
      throw error;
    }
    digests.set(tableKey(table), digester.digest());
    await target.setSequences(table, options.sequences?.(table) ?? (await source.sequences(table)));
  }
  return digests;
}

/** Every table's rows and checksum on the target against the expected ones, then the stores' own checks. */
export async function verify(
  target: LoadTarget,
  tables: readonly TableSpec[],
  expected: ReadonlyMap<string, TableDigest>,
  progress: ProgressListener = () => {},
): Promise<TableReport[]> {
  progress({ kind: 'step', message: `verifying ${tables.length} tables in ${target.location}` });
  const reports: TableReport[] = [];
  const mismatches: string[] = [];
  // Reading back every row takes about as long as copying it: the CLI shows how far along it is.
  const overallTotal = [...expected.values()].reduce((sum, digest) => sum + digest.rows, 0);
  let overallDone = 0;
  for (const table of tables) {
    const want = expected.get(tableKey(table));
    const got = await target.digest(table);
    overallDone += got.rows;
    progress({ kind: 'rows', store: table.store, table: table.name, done: got.rows, total: got.rows, overallDone, overallTotal });
    if (!want || want.rows !== got.rows || want.checksum !== got.checksum) {
      mismatches.push(
        want && want.rows !== got.rows
          ? `${tableKey(table)} has ${got.rows} row(s), expected ${want.rows}`
          : `${tableKey(table)} content checksum differs`,
      );
    }
    reports.push({ store: table.store, table: table.name, rows: got.rows, checksum: got.checksum });
  }
  for (const store of STORES) {
    for (const problem of await target.problems(store)) mismatches.push(`${store.name}: ${problem}`);
  }
  if (mismatches.length > 0) {
    throw new OperationError(
      'VERIFY_FAILED',
      `verification of ${target.location} failed (${mismatches.slice(0, 3).join('; ')}${mismatches.length > 3 ? `; and ${mismatches.length - 3} more` : ''}); ` +
        `the installation was not recorded as usable`,
    );
  }
  return reports;
}
