/**
 * piri-db restore: puts a backup back into an EMPTY installation of the same backend.
 *
 *   1. the backup: manifest present (a backup without one was interrupted), every file's sha256 as recorded
 *   2. the target: same backend as the backup, holds no row, no migration the backup does not have
 *   3. migrate the target to the backup's migrations (not further: the rows have that shape; the next boot
 *      migrates on). SQLite backups and logical dumps: load each table (parents first, triggers off), set the
 *      sequences. pg_dump archives: pg_restore in one transaction (tables, journal, rows, sequences), replacing
 *      the empty tables the migrations made.
 *   3b. the application's tables the backup carries, unless the operator skips them: recreated from their
 *      recorded definitions and loaded (pg_dump backups hold them as logical dumps beside the archive)
 *   4. verify per table row count and content checksum against the manifest, FK and trigger checks
 *   5. record the backend in the data dir's marker
 * Interrupted before 5, the target holds part of the data and a second restore refuses it, saying how to
 * empty it.
 */
import { join } from 'node:path';
import type { Config } from '../config/load.ts';
import { OperationError } from '../errors.ts';
import { ReleaseStack } from '../lifecycle.ts';
import { assertBackend } from '../stores/guard.ts';
import { writeMarker } from '../stores/marker.ts';
import type { Dialect } from '../catalog/registry.ts';
import type { AppTablesMode, TableSpec } from './catalog.ts';
import type { TableDigest } from './digest.ts';
import { DumpSnapshot } from './dump.ts';
import type { Snapshot } from './endpoints.ts';
import { describeInstallation, openTarget } from './installation.ts';
import { allTables, appTableSpec, type BackupManifest, readBackup, recordedAppTables, tableSpec } from './manifest.ts';
import { findPgTool, type PgTool, pgRestore } from './postgres/pg-tools.ts';
import type { ProgressListener } from './progress.ts';
import { openSqliteSnapshot } from './sqlite/snapshot.ts';
import {
  type AppTableReport,
  appTableReports,
  assertEmpty,
  assertNoAppTableClash,
  assertTargetJournals,
  migrationsToApply,
  type TableReport,
  tableKey,
  transfer,
  verify,
} from './transfer.ts';

/** Options of restoreInstallation: the batch size, a progress listener and the pg_restore binary. */
export interface RestoreOptions {
  readonly batchSize?: number;
  readonly onProgress?: ProgressListener;
  /** The pg_restore for pg_dump backups (default: `pg_restore` on PATH). */
  readonly pgRestore?: string;
  /**
   * Tables of the application the backup carries: recreated and loaded (the default) or left out. See
   * docs/operations.md, "Tables of the application".
   */
  readonly appTables?: AppTablesMode;
}

/**
 * What restoreInstallation restored, from which backup into where, with each table's verified row count and checksum.
 */
export interface RestoreReport {
  readonly from: string;
  readonly backend: Dialect;
  readonly method: BackupManifest['method'];
  readonly backupCreatedAt: string;
  readonly location: string;
  readonly marker: string;
  /** Rows of piri-db's tables. */
  readonly rows: number;
  readonly tables: readonly TableReport[];
  /** Every table of the application in the backup (and those the backup left out), restored or skipped. */
  readonly appTables: readonly AppTableReport[];
}

/**
 * Puts the backup in `fromDir` back into the empty installation `config` describes, of the same backend, verifies it
 * and records the backend. Throws OperationError for a damaged or mismatching backup or a target that is not empty.
 */
export async function restoreInstallation(config: Config, fromDir: string, options: RestoreOptions = {}): Promise<RestoreReport> {
  const progress = options.onProgress ?? (() => {});
  const manifest = await readBackup(fromDir);
  if (manifest.backend !== config.database.type) {
    throw new OperationError(
      'BACKUP_INVALID',
      `${fromDir} is a ${manifest.backend} backup and this installation is configured for ${config.database.type}: ` +
        `restore it into a ${manifest.backend} installation (then \`piri-db copy\` moves it to ${config.database.type})`,
    );
  }
  assertBackend(config.dataDir, config.database.type);
  const journals = new Map(manifest.stores.map((s) => [s.store, s.migrations.map((m) => ({ hash: m.hash, createdAt: m.createdAt }))]));
  const wanted = migrationsToApply(config.database.type, journals);
  const tables = manifest.stores.flatMap((s) => s.tables.map((t) => tableSpec(s.store, t)));
  const inBackup = manifest.stores.flatMap((s) => (s.appTables ?? []).map((t) => appTableSpec(s.store, t)));
  const carried = options.appTables === 'skip' ? [] : inBackup;
  const expected = new Map<string, TableDigest>(
    manifest.stores.flatMap((s) => allTables(s).map((t) => [tableKey({ store: s.store, name: t.name }), { rows: t.rows, checksum: t.checksum }] as const)),
  );
  const marks = new Map(manifest.stores.flatMap((s) => allTables(s).map((t) => [tableKey({ store: s.store, name: t.name }), t.sequences] as const)));
  const transferOptions = { ...options, sequences: (table: TableSpec) => marks.get(tableKey(table)) };

  const resources = new ReleaseStack();
  let done = false;
  try {
    const target = await openTarget(config);
    resources.push(() => target.close());
    await assertEmpty(target, 'restore');
    await assertTargetJournals(target, wanted);
    await assertNoAppTableClash(target, carried);
    const tool = manifest.method === 'pg_dump' ? await restoreTool(manifest, fromDir, options) : undefined;
    // Every refusal is above: it is the only line an operator sees. Progress starts here.
    progress({ kind: 'step', message: `restoring the ${manifest.method} backup of ${manifest.createdAt} from ${fromDir}` });

    const source: Snapshot =
      manifest.method === 'sqlite-online-backup'
        ? openSqliteSnapshot(new Map(manifest.stores.map((s) => [s.store, join(fromDir, s.database!.file)])), fromDir)
        : new DumpSnapshot(fromDir, manifest);
    resources.push(() => source.close());
    progress({ kind: 'step', message: `migrating ${describeInstallation(config)} to the backup's migrations` });
    await target.migrate(wanted);
    if (tool && config.database.type === 'postgres') {
      progress({ kind: 'step', message: `pg_restore ${tool.version} into ${describeInstallation(config)}` });
      await pgRestore(tool, config.database.postgres, join(fromDir, manifest.pgDump!.file));
    } else {
      await transfer(source, target, tables, transferOptions);
    }
    // pg_dump archives hold piri-db's tables only: the application's come from their logical dumps, always.
    await target.createAppTables(carried);
    await transfer(source, target, carried, transferOptions);

    const all = [...tables, ...carried];
    const reports = await verify(target, all, expected, progress);
    const own = reports.slice(0, tables.length);
    const found = recordedAppTables(manifest).map((t) => ({ store: t.store, name: t.table }));
    const marker = writeMarker(config.dataDir, config.database.type, {
      restoredFrom: { dir: fromDir, backupCreatedAt: manifest.createdAt },
    });
    done = true;
    return {
      from: fromDir,
      backend: manifest.backend,
      method: manifest.method,
      backupCreatedAt: manifest.createdAt,
      location: target.location,
      marker,
      rows: own.reduce((sum, r) => sum + r.rows, 0),
      tables: own,
      appTables: appTableReports(found, reports.slice(tables.length)),
    };
  } finally {
    // A failure to close never hides the error that got us here.
    await resources.release().catch((error: unknown) => {
      if (done) throw error;
    });
  }
}

/** The pg_restore for a pg_dump backup: one at least as new as the pg_dump that wrote the archive. */
async function restoreTool(manifest: BackupManifest, fromDir: string, options: RestoreOptions): Promise<PgTool> {
  if (manifest.backend !== 'postgres' || !manifest.pgDump) throw new OperationError('BACKUP_INVALID', `${fromDir}: no pg_dump archive listed`);
  const path = options.pgRestore ?? 'pg_restore';
  const tool = await findPgTool(path);
  const needed = Number(manifest.pgDump.pgDumpVersion.split('.')[0]);
  if (!tool || tool.major < needed) {
    throw new OperationError(
      'OPERATION_FAILED',
      `this backup is a pg_dump ${manifest.pgDump.pgDumpVersion} archive: restoring it needs pg_restore ${needed} or newer ` +
        `(${tool ? `found ${tool.version}` : `none could be run: ${path}`})`,
    );
  }
  return tool;
}
