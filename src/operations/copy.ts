/**
 * piri-db copy: moves a whole installation to another backend (or another database / data dir).
 *
 *   1. refuse early, before anything is opened for writing: the target data dir belongs to another
 *      installation; source and target are the same; (in place) piri is still running on the source
 *   2. open the source read-only, as one consistent snapshot; refuse a source that is not set up or has pending
 *      migrations. Tables the application added to a store are carried (same backend only: a definition does
 *      not translate between backends, so carrying one across is refused) or skipped, as the operator chose
 *   3. open the target, refuse it unless it is empty, migrate it to this build's migrations, recreate the
 *      application's tables carried
 *   4. load every table (one transaction each, parents first, triggers off), carry the sequences
 *   5. verify: per table row count and content checksum against the source's, FK and trigger checks
 *   6. only then record the target's backend in its data dir's marker. In place (same data dir, the usual
 *      case for SQLite -> Postgres), this switches the marker, the SQLite files stay as they were
 *
 * Killed anywhere before 6, the source is as it was and still the recorded backend; the target holds part of
 * the data and the next copy refuses it, saying how to empty it.
 */
import { resolve } from 'node:path';
import type { Config } from '../config/load.ts';
import { OperationError } from '../errors.ts';
import { assertBackend, recordedBackend } from '../stores/guard.ts';
import { writeMarker } from '../stores/marker.ts';
import { type Dialect, STORES } from '../catalog/registry.ts';
import { ReleaseStack } from '../lifecycle.ts';
import { describeInstallation, holdInstallation, openSnapshot, openTarget } from './installation.ts';
import type { ProgressListener } from './progress.ts';
import type { AppTablesMode } from './catalog.ts';
import {
  type AppTableReport,
  appTableReports,
  appTablesToCarry,
  assertEmpty,
  assertNoAppTableClash,
  assertTargetJournals,
  currentJournals,
  migrationsToApply,
  sourceTables,
  type TableReport,
  transfer,
  verify,
} from './transfer.ts';

/** Options of copyInstallation: the batch size and a progress listener. */
export interface CopyOptions {
  /** Rows per read and per insert batch (default 1000). */
  readonly batchSize?: number;
  readonly onProgress?: ProgressListener;
  /**
   * Tables the application added to the stores: carried with their rows (the default; same backend only) or
   * left out. See docs/operations.md, "Tables of the application".
   */
  readonly appTables?: AppTablesMode;
}

/** What copyInstallation copied, from where to where, with each table's verified row count and checksum. */
export interface CopyReport {
  readonly from: { readonly backend: Dialect; readonly location: string };
  readonly to: { readonly backend: Dialect; readonly location: string; readonly dataDir: string };
  /** The target shares the source's data dir, whose marker now names the target's backend. */
  readonly inPlace: boolean;
  /** The marker file written. */
  readonly marker: string;
  /** Rows of piri-db's tables. */
  readonly rows: number;
  readonly tables: readonly TableReport[];
  /** Every table of the application found in the source, carried (with its rows) or skipped. */
  readonly appTables: readonly AppTableReport[];
}

/**
 * Copies the installation `from` describes into the empty installation `to` describes (its backend, its
 * database or data dir). `to.dataDir` is where the target's backend is recorded: the same data dir as the
 * source switches that installation to the new backend; another data dir starts a separate one.
 */
export async function copyInstallation(from: Config, to: Config, options: CopyOptions = {}): Promise<CopyReport> {
  const progress = options.onProgress ?? (() => {});
  assertBackend(from.dataDir, from.database.type);
  const inPlace = resolve(from.dataDir) === resolve(to.dataDir);
  if (sameStorage(from, to)) {
    throw new OperationError('OPERATION_FAILED', `source and target are the same installation (${describeInstallation(from)})`);
  }
  if (!inPlace) {
    const recorded = recordedBackend(to.dataDir);
    if (recorded) {
      throw new OperationError(
        'TARGET_NOT_EMPTY',
        `refusing to copy into data dir ${to.dataDir}: it already belongs to a ${recorded.backend} installation ` +
          `(${recorded.source === 'marker' ? 'piri-db.json' : 'SQLite store files'}); choose a new data dir`,
      );
    }
  }

  const resources = new ReleaseStack();
  let done = false;
  try {
    if (inPlace) {
      const release = await holdInstallation(from, `copy switches data dir ${from.dataDir} to ${to.database.type} when it is done`);
      resources.push(release);
    }
    const source = await openSnapshot(from);
    resources.push(() => source.close());
    await currentJournals(source);
    const { tables, appTables } = await sourceTables(source, STORES);
    const carried = await appTablesToCarry(source, appTables, options.appTables ?? 'carry', to.database.type);

    const target = await openTarget(to);
    resources.push(() => target.close());
    await assertEmpty(target, 'copy');
    const wanted = migrationsToApply(to.database.type, 'all');
    await assertTargetJournals(target, wanted);
    await assertNoAppTableClash(target, carried);
    // Every refusal is above: it is the only line an operator sees. Progress starts here.
    progress({ kind: 'step', message: `copying a snapshot of ${describeInstallation(from)} (${tables.length + carried.length} tables)` });
    progress({ kind: 'step', message: `migrating ${describeInstallation(to)}` });
    await target.migrate(wanted);
    await target.createAppTables(carried);

    const all = [...tables, ...carried];
    const digests = await transfer(source, target, all, options);
    const reports = await verify(target, all, digests, progress);
    const own = reports.slice(0, tables.length);

    const marker = writeMarker(to.dataDir, to.database.type, {
      copiedFrom: { backend: from.database.type, location: source.location, at: new Date().toISOString() },
    });
    progress({ kind: 'step', message: `recorded ${to.database.type} as the backend in ${marker}` });
    done = true;
    return {
      from: { backend: from.database.type, location: source.location },
      to: { backend: to.database.type, location: target.location, dataDir: to.dataDir },
      inPlace,
      marker,
      rows: own.reduce((sum, r) => sum + r.rows, 0),
      tables: own,
      appTables: appTableReports(appTables, reports.slice(tables.length)),
    };
  } finally {
    // Reverse order: the target and the snapshot close, then the source's hold is let go, after the marker.
    // A failure to close never hides the error that got us here.
    await resources.release().catch((error: unknown) => {
      if (done) throw error;
    });
  }
}

function sameStorage(a: Config, b: Config): boolean {
  if (a.database.type === 'sqlite' && b.database.type === 'sqlite') return resolve(a.dataDir) === resolve(b.dataDir);
  if (a.database.type === 'postgres' && b.database.type === 'postgres') {
    const x = new URL(a.database.postgres.url);
    const y = new URL(b.database.postgres.url);
    return x.hostname === y.hostname && (x.port || '5432') === (y.port || '5432') && x.pathname === y.pathname;
  }
  return false;
}
