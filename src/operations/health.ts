/**
 * doctor's checks that read the same on both backends, built from facts the dialect modules
 * (sqlite/health.ts, postgres/health.ts) gather: migrations against this build, triggers, queue health.
 */
import { type AppliedMigration, planMigrations } from '../backend/migrations.ts';
import type { Dialect, QueueDefinition, StoreDefinition, StoreName } from '../catalog/registry.ts';
import { appTableNames } from './catalog.ts';
import { errorMessage } from '../narrow.ts';

/** The verdict of one doctor check; only `fail` makes the report not ok. */
export type CheckStatus = 'ok' | 'warn' | 'fail';

/** One doctor check's result, for one store or the whole installation, with a human-readable detail. */
export interface DoctorCheck {
  readonly check: string;
  /** Absent for installation-wide checks. */
  readonly store?: StoreName;
  readonly status: CheckStatus;
  readonly detail: string;
}

export interface HealthContext {
  readonly now: Date;
  /** Warn when a SQLite WAL file is larger. */
  readonly walWarnBytes: number;
}

export const DEFAULT_WAL_WARN_BYTES = 64 * 1024 * 1024;

/** In flight this far past the claim window is no longer a slow job: clock skew, or a runaway extend. */
export function farBeyondWindowMs(queue: QueueDefinition): number {
  return Math.max(10 * queue.visibilityTimeoutMs, 60 * 60_000);
}

export const check = (store: StoreName | undefined, name: string, status: CheckStatus, detail: string): DoctorCheck => ({
  check: name,
  ...(store ? { store } : {}),
  status,
  detail,
});

/** Applied migrations against this build: none pending, none unknown. Returns whether the store is current. */
export function migrationsCheck(dialect: Dialect, store: StoreDefinition, journal: readonly AppliedMigration[]): DoctorCheck {
  try {
    const plan = planMigrations(dialect, store, journal);
    if (plan.pending.length > 0) {
      return check(
        store.name,
        'migrations',
        'fail',
        `${plan.pending.length} pending (${plan.pending.map((m) => m.tag).join(', ')}): run \`piri-db migrate\` (piri also migrates when it starts)`,
      );
    }
    return check(store.name, 'migrations', 'ok', `${plan.applied.length} applied, none pending`);
  } catch (error) {
    return check(store.name, 'migrations', 'fail', errorMessage(error));
  }
}

/**
 * Tables the application added to the store: not a problem, reported so an operator knows what backup, restore
 * and copy will carry (or skip with --app-tables skip).
 */
export function appTablesCheck(store: StoreDefinition, present: readonly string[]): DoctorCheck {
  const names = appTableNames(store, present);
  return check(
    store.name,
    'app tables',
    'ok',
    names.length === 0
      ? 'none'
      : `${names.join(', ')}: the application's, not piri-db's; backup, restore and copy carry them (--app-tables skip leaves them out)`,
  );
}

export function triggersCheck(store: StoreDefinition, present: readonly { name: string; enabled: boolean }[]): DoctorCheck {
  const missing = store.triggers.filter((t) => !present.some((p) => p.name === t));
  const disabled = store.triggers.filter((t) => present.some((p) => p.name === t && !p.enabled));
  if (missing.length > 0 || disabled.length > 0) {
    const parts = [
      ...(missing.length > 0 ? [`missing: ${missing.join(', ')}`] : []),
      ...(disabled.length > 0 ? [`disabled: ${disabled.join(', ')}`] : []),
    ];
    return check(
      store.name,
      'triggers',
      'fail',
      `${parts.join('; ')} (the data they maintain drifts from now on; see docs/operations.md, "Reading doctor's output")`,
    );
  }
  return check(store.name, 'triggers', 'ok', store.triggers.length === 0 ? 'none expected' : `${store.triggers.length} present`);
}

export interface QueueCounts {
  /** Out of deliveries and visible: never handed out again, waiting for a dead-letter sweep. */
  readonly exhausted: number;
  /** Claimed with a deadline far beyond the queue's claim window. */
  readonly stuck: number;
}

export function queueChecks(store: StoreDefinition, queue: QueueDefinition, counts: QueueCounts): DoctorCheck[] {
  const name = `queue ${queue.name}`;
  const exhausted =
    counts.exhausted > 0
      ? check(
          store.name,
          name,
          'fail',
          `${counts.exhausted} job(s) exhausted (${queue.maxDeliveries} deliveries used, no longer claimable): ` +
            'they wait for the dead-letter sweep of a running piri; inspect them before they are dead-lettered',
        )
      : check(store.name, name, 'ok', 'no exhausted jobs');
  const window = farBeyondWindowMs(queue);
  const stuck =
    counts.stuck > 0
      ? check(
          store.name,
          `${name} claims`,
          'warn',
          `${counts.stuck} job(s) claimed with a deadline more than ${Math.round(window / 60_000)} min ahead ` +
            `(claim window ${queue.visibilityTimeoutMs / 1000} s): clock skew between hosts, or a worker extending forever`,
        )
      : check(store.name, `${name} claims`, 'ok', 'no claim far beyond its window');
  return [exhausted, stuck];
}

/** A check that could not run says so, instead of taking doctor down. */
export async function guarded(store: StoreName | undefined, name: string, run: () => Promise<DoctorCheck[]> | DoctorCheck[]): Promise<DoctorCheck[]> {
  try {
    return await run();
  } catch (error) {
    return [check(store, name, 'fail', `could not check: ${errorMessage(error)}`)];
  }
}
