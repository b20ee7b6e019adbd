/**
 * piri-db doctor: a read-only health check of an installation, safe beside a running instance. Every check
 * is one line (ok / warn / fail + detail); the report is ok when no check failed. docs/operations.md says
 * what each check means and what to do.
 */
import type { Clock } from '../clock.ts';
import { systemClock } from '../clock.ts';
import type { Config } from '../config/load.ts';
import { BackendMismatchError } from '../errors.ts';
import { assertBackend, recordedBackend } from '../stores/guard.ts';
import type { Dialect, StoreName } from '../catalog/registry.ts';
import { installationStatus } from '../stores/status.ts';
import { check, DEFAULT_WAL_WARN_BYTES, type DoctorCheck, type HealthContext } from './health.ts';
import { describeInstallation } from './installation.ts';
import { postgresHealth } from './postgres/health.ts';
import { sqliteHealth } from './sqlite/health.ts';

export type { CheckStatus, DoctorCheck } from './health.ts';

/** Options of runDoctor: the clock for queue deadlines and the SQLite WAL size that warns. */
export interface DoctorOptions {
  /** "now" for queue deadlines; default the system clock. */
  readonly clock?: Clock;
  /** Warn when a SQLite WAL file is larger (default 64 MiB). */
  readonly walWarnBytes?: number;
}

/** What runDoctor found: one entry per check, and `ok` when none failed (warnings allowed). */
export interface DoctorReport {
  readonly backend: Dialect;
  readonly location: string;
  /** No check failed (warnings allowed). */
  readonly ok: boolean;
  readonly checks: readonly DoctorCheck[];
}

/**
 * Checks an installation's health without changing it: integrity, foreign keys, triggers, migrations, stuck jobs, WAL
 * size. What it finds wrong is reported as failed checks; only what stops it from checking at all is thrown.
 */
export async function runDoctor(config: Config, options: DoctorOptions = {}): Promise<DoctorReport> {
  const backend = config.database.type;
  const context: HealthContext = {
    now: new Date((options.clock ?? systemClock).now()),
    walWarnBytes: options.walWarnBytes ?? DEFAULT_WAL_WARN_BYTES,
  };
  const checks: DoctorCheck[] = [];
  try {
    assertBackend(config.dataDir, backend);
    const recorded = recordedBackend(config.dataDir);
    checks.push(
      recorded?.source === 'marker'
        ? check(undefined, 'backend', 'ok', `${backend}, recorded in ${config.dataDir}`)
        : check(undefined, 'backend', 'warn', `${backend}, not recorded in ${config.dataDir} yet (piri records it when it boots)`),
    );
  } catch (error) {
    if (!(error instanceof BackendMismatchError)) throw error;
    checks.push(check(undefined, 'backend', 'fail', error.message));
    return { backend, location: describeInstallation(config), ok: false, checks };
  }
  const piri = await piriStores(config);
  if (piri.length > 0) {
    // Its stores have Piri's tables and no journal: every piri-db check would fail for that one reason, and
    // `migrate` would try to create the tables again.
    checks.push(
      ...piri.map((store) =>
        check(store, 'setup', 'fail', `set up by Piri, not adopted by piri-db yet (Piri's tables, no piri-db migration journal): run \`piri-db adopt\` to take it over`),
      ),
    );
    return { backend, location: describeInstallation(config), ok: false, checks };
  }
  checks.push(
    ...(config.database.type === 'postgres'
      ? await postgresHealth(config.database.postgres, context)
      : await sqliteHealth(config.dataDir, context)),
  );
  return { backend, location: describeInstallation(config), ok: checks.every((c) => c.status !== 'fail'), checks };
}

/** The stores Piri set up and piri-db has not adopted (status.ts says how it tells). */
async function piriStores(config: Config): Promise<StoreName[]> {
  return (await installationStatus(config)).stores.filter((s) => s.piri).map((s) => s.store);
}
