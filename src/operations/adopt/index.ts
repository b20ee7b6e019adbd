/**
 * piri-db adopt: takes over an installation Piri v0.2.4 set up, in place, on SQLite or Postgres.
 *
 *   1. recognise it: every store holds tables and no migration journal (status.ts)
 *   2. fingerprint it against Piri v0.2.4's schema; any difference is refused, listed (fingerprint.ts)
 *   3. refuse while anything uses it: another process with a store file open, another session on the database
 *   4. write a verified backup (backup.ts) and say where
 *   5. per store: record the baseline, rewrite Piri's local-zone times, drop Piri's objects piri-db replaces, run the
 *      pending migrations, seed id sequences past every dead letter (plan.ts, apply-*.ts); row counts checked
 *   6. record the backend (piri-db.json) and run doctor, which must find nothing wrong
 *
 * A dry run does 1 to 3 and reports what 4 and 5 would do, changing nothing. Killed before 5 commits, the
 * installation is as Piri left it (each store is one transaction; Postgres, all four).
 */
import { join, resolve } from 'node:path';
import type { Sql } from 'postgres';
import { openSqliteFileReadOnly } from '../../backend/sqlite/file.ts';
import { acquireWriterLock } from '../../backend/sqlite/writer-lock.ts';
import type { Clock } from '../../clock.ts';
import { systemClock } from '../../clock.ts';
import type { Config, PostgresConfig } from '../../config/load.ts';
import { DataDirLockedError, OperationError } from '../../errors.ts';
import { ReleaseStack } from '../../lifecycle.ts';
import { assertBackend } from '../../stores/guard.ts';
import { writeMarker } from '../../stores/marker.ts';
import { type Dialect, type StoreDefinition, STORES } from '../../catalog/registry.ts';
import { type InstallationStatus, installationStatus } from '../../stores/status.ts';
import { backupPiriInstallation } from '../backup.ts';
import { type DoctorReport, runDoctor } from '../doctor.ts';
import { describeInstallation } from '../installation.ts';
import { openOperationsPool } from '../postgres/pool.ts';
import type { ProgressListener } from '../progress.ts';
import { assertIdle, type AloneFile, postgresActivity, provedAlone, sqliteActivity } from './activity.ts';
import { adoptPostgres } from './apply-postgres.ts';
import { adoptSqliteStore } from './apply-sqlite.ts';
import { assertPiriShape, mismatch, postgresReference, type ShapeMismatch, sqliteReference } from './fingerprint.ts';
import { PIRI_VERSION } from '../../catalog/piri-schema.ts';
import { migrationSteps, type MigrationSteps } from './plan.ts';
import { describeChange, type StoreAdoption } from './report.ts';
import { postgresShape, sqliteShape } from './shape.ts';
import { type IdSeed, idSeeds, type TimeFix, timeFixes } from './sqlite-data.ts';

export type { AdoptedTable, StoreAdoption } from './report.ts';

/** Options of adoptInstallation: a dry run, where the backup goes, a progress listener, the clock for doctor. */
export interface AdoptOptions {
  /** Check and plan only: print what would change, change nothing, write no backup. */
  readonly dryRun?: boolean;
  /** A new or empty directory for the backup; default `<data dir>/piri-db-adopt-backup-<UTC time>`. */
  readonly backupDir?: string;
  readonly onProgress?: ProgressListener;
  /** "now" for doctor's queue checks; default the system clock. */
  readonly clock?: Clock;
}

/** What adoptInstallation did (or, in a dry run, would do): per store the tables with their rows and each change. */
export interface AdoptReport {
  readonly backend: Dialect;
  readonly location: string;
  /** The Piri version whose schema the installation has. */
  readonly piriVersion: string;
  readonly dryRun: boolean;
  /** Where the verified backup was written (a dry run: where it would be). */
  readonly backupDir: string;
  readonly stores: readonly StoreAdoption[];
  /** The marker written, recording the backend (not in a dry run). */
  readonly marker?: string;
  /** doctor after adoption (not in a dry run); adoption succeeded when it is ok. */
  readonly doctor?: DoctorReport;
}

/**
 * Takes over the Piri v0.2.4 installation `config` describes, in place: refuses an unknown schema or an installation
 * in use, backs it up, brings every store to this build's migrations keeping every row, then runs doctor. Throws
 * OperationError (SOURCE_NOT_READY) for a refusal, with nothing changed.
 */
export async function adoptInstallation(config: Config, options: AdoptOptions = {}): Promise<AdoptReport> {
  const progress = options.onProgress ?? (() => {});
  assertBackend(config.dataDir, config.database.type);
  const location = describeInstallation(config);
  progress({ kind: 'step', message: `recognising ${location}` });
  const status = await installationStatus(config);
  const stores = storesToAdopt(status, location);
  const backupDir = resolve(options.backupDir ?? join(config.dataDir, `piri-db-adopt-backup-${stamp(options.clock ?? systemClock)}`));
  const context: Context = { config, location, status, stores, backupDir, progress, dryRun: options.dryRun === true };
  const adopted = config.database.type === 'sqlite' ? await adoptSqlite(context) : await adoptOnPostgres(context, config.database.postgres);
  const base = { backend: config.database.type, location, piriVersion: PIRI_VERSION, dryRun: context.dryRun, backupDir, stores: adopted };
  if (context.dryRun) return base;
  const marker = writeMarker(config.dataDir, config.database.type);
  progress({ kind: 'step', message: 'running doctor' });
  const doctor = await runDoctor(config, options.clock ? { clock: options.clock } : {});
  return { ...base, marker, doctor };
}

/** A UTC time for a directory name: 20260101T120000Z. */
function stamp(clock: Clock): string {
  return new Date(clock.now()).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
}

interface Context {
  readonly config: Config;
  readonly location: string;
  readonly status: InstallationStatus;
  /** The stores Piri set up, in STORES order. */
  readonly stores: readonly StoreDefinition[];
  readonly backupDir: string;
  readonly progress: ProgressListener;
  readonly dryRun: boolean;
}

/**
 * The stores to adopt: those Piri set up. Stores already adopted (a journal of piri-db's) are left as they are, so
 * an adoption killed between two SQLite stores' transactions finishes when run again.
 */
function storesToAdopt(status: InstallationStatus, location: string): StoreDefinition[] {
  if (!status.piriInstallation) {
    const adopted = status.stores.some((s) => s.appliedMigrations.length > 0);
    throw new OperationError(
      'SOURCE_NOT_READY',
      adopted
        ? `${location} is a piri-db installation already: nothing to adopt (\`piri-db migrate\` brings it up to date)`
        : `${location} holds no Piri installation: nothing to adopt`,
    );
  }
  const missing = status.stores.filter((s) => !s.exists || s.tables.length === 0);
  if (missing.length > 0) {
    throw new OperationError(
      'SOURCE_NOT_READY',
      `${location} is not a whole Piri installation: ${missing.map((s) => `store ${s.store} (${s.location}) does not exist`).join('; ')} ` +
        '(Piri creates every store when it starts); nothing was changed',
    );
  }
  return STORES.filter((store) => status.stores.some((s) => s.store === store.name && s.piri));
}

/** The dry run's changes: what the apply step reports, in the same order, from the plan. */
function planned(steps: MigrationSteps, times: readonly TimeFix[] = [], seeds: readonly IdSeed[] = []): string[] {
  return [
    ...steps.baseline.map(describeChange.baseline),
    ...times.map(describeChange.time),
    ...steps.collisions.map(describeChange.drop),
    ...steps.pending.map(describeChange.apply),
    ...seeds.map(describeChange.seed),
  ];
}

function tablesOf(status: InstallationStatus, store: StoreDefinition) {
  return status.stores.find((s) => s.store === store.name)!.tables.map((t) => ({ table: t.name, rowsBefore: t.rows }));
}

async function adoptSqlite(context: Context): Promise<StoreAdoption[]> {
  const { config, location, progress } = context;
  progress({ kind: 'step', message: `comparing with the schema of Piri ${PIRI_VERSION}` });
  const mismatches: ShapeMismatch[] = [];
  const plans: { store: StoreDefinition; steps: MigrationSteps; dry: StoreAdoption }[] = [];
  for (const store of context.stores) {
    const conn = openSqliteFileReadOnly(config.dataDir, store)!;
    try {
      const shape = sqliteShape(conn.client);
      const different = mismatch(store, sqliteReference(store), shape);
      if (different) {
        mismatches.push(different);
        continue;
      }
      const steps = migrationSteps('sqlite', store, shape.objects);
      const changes = planned(steps, timeFixes(conn.client, store), idSeeds(conn.client, store));
      plans.push({ store, steps, dry: { store: store.name, tables: tablesOf(context.status, store), changes } });
    } finally {
      conn.client.close();
    }
  }
  assertPiriShape(location, mismatches);
  if (context.dryRun) {
    assertIdle(location, sqliteActivity(config.dataDir, STORES));
    return plans.map((p) => p.dry);
  }
  const resources = new ReleaseStack();
  try {
    try {
      const lock = acquireWriterLock(config.dataDir);
      resources.push(() => lock.release());
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      throw new OperationError('SOURCE_NOT_READY', `${error.message}; nothing was changed`);
    }
    const files = new Map<StoreDefinition, AloneFile>();
    for (const store of STORES) {
      const file = provedAlone(config.dataDir, store);
      files.set(store, file);
      resources.push(() => file.release());
    }
    await backup(context);
    for (const file of files.values()) file.hold();
    return plans.map(({ store, steps }) => adoptSqliteStore(files.get(store)!.client, store, steps, progress));
  } finally {
    await resources.release();
  }
}

async function backup(context: Context): Promise<void> {
  context.progress({ kind: 'step', message: `backing up to ${context.backupDir}` });
  await backupPiriInstallation(context.config, context.backupDir, { onProgress: context.progress });
}

async function adoptOnPostgres(context: Context, pg: PostgresConfig): Promise<StoreAdoption[]> {
  const { location, progress } = context;
  const sql: Sql = await openOperationsPool(pg, 1);
  try {
    progress({ kind: 'step', message: `comparing with the schema of Piri ${PIRI_VERSION}` });
    const mismatches: ShapeMismatch[] = [];
    const plans: { store: StoreDefinition; steps: MigrationSteps }[] = [];
    for (const store of context.stores) {
      const shape = await postgresShape(sql, store.pgSchema);
      const different = mismatch(store, await postgresReference(sql, store), shape);
      if (different) mismatches.push(different);
      else plans.push({ store, steps: migrationSteps('postgres', store, shape.objects) });
    }
    assertPiriShape(location, mismatches);
    assertIdle(location, await postgresActivity(sql));
    if (context.dryRun) {
      return plans.map(({ store, steps }) => ({ store: store.name, tables: tablesOf(context.status, store), changes: planned(steps) }));
    }
    await backup(context);
    return await adoptPostgres(sql, location, plans, progress);
  } finally {
    await sql.end({ timeout: 5 });
  }
}
