/**
 * Queue operations for operators: statistics and dead letters of the registry's queues (`piri-db queue ...`).
 *
 * - Reading (queueStats, listDeadLetters) never writes and takes no lock, so it works beside a running piri:
 *   SQLite store files are opened read-only (the queue drivers prepare their write statements too, which a
 *   read-only connection allows; only running one would fail, and none is run), Postgres is read through the
 *   operations' own pool of one session in read-only mode. The dedup queue's informational `queues` row, which
 *   the queue upserts before its first operation, is not written by a reader.
 * - Writing (requeueDeadLetters, purgeDeadLetters) opens the installation as the application does
 *   (openDatabases): on SQLite that takes the data dir's writer lock, so it is refused while piri runs there
 *   (stop piri, or call requeueDead / purgeDead from inside it); Postgres is shared.
 *
 * Every function first resolves which queues it acts on (one store's, one queue, or every queue of the
 * registry) and checks the filter, so a wrong name is refused before anything is opened. Stores must be set up
 * and migrated: nothing here creates or migrates a store.
 */
import { planPostgres } from '../backend/postgres/migrate.ts';
import { postgresStore } from '../backend/postgres/open.ts';
import { planSqlite } from '../backend/sqlite/migrate.ts';
import { openSqliteStoreReadOnly, sqliteStoreFile } from '../backend/sqlite/open.ts';
import type { StoreConnection } from '../backend/types.ts';
import { type Clock, systemClock } from '../clock.ts';
import type { Config } from '../config/load.ts';
import { redactUrl } from '../config/redact.ts';
import { DataDirLockedError, OperationError, PiriDbError, QueueError } from '../errors.ts';
import { ReleaseStack } from '../lifecycle.ts';
import type { MigrationPlan } from '../backend/migrations.ts';
import { checkFilter } from '../queue/arguments.ts';
import { DedupQueue } from '../queue/dedup-queue.ts';
import { PlainQueue } from '../queue/plain-queue.ts';
import { dedupQueueSettings, plainQueueSettings } from '../queue/settings.ts';
import { dedupQueueSql, plainQueueSql } from '../queue/sql/index.ts';
import type { DeadLetter, DeadLetterFilter, QueueStats, QueueStore } from '../queue/types.ts';
import { installationSignals } from '../queue/wakeups/index.ts';
import { type QueueSignals, queueWake } from '../queue/wakeups/signals.ts';
import { assertBackend } from '../stores/guard.ts';
import { openDatabases } from '../stores/open.ts';
import { type Dialect, type QueueDefinition, type StoreDefinition, type StoreName, STORES } from '../catalog/registry.ts';
import { describeInstallation } from './installation.ts';
import { openOperationsPool, statementFailed } from './postgres/pool.ts';

/** Which queues an operation acts on. Names are the registry's (src/catalog/registry.ts). */
export interface QueueSelection {
  /** One store; default every store that holds queues. */
  readonly store?: string;
  /** One queue (of `store`, when given); default every queue of the selected stores. */
  readonly queue?: string;
}

/** Which queues and which of their dead letters listDeadLetters and requeueDeadLetters act on. */
export interface DeadLetterSelection extends QueueSelection {
  /** Applied to each selected queue: `limit` is per queue. `ids` needs exactly one selected queue. */
  readonly filter?: DeadLetterFilter;
}

/** Which dead letters purgeDeadLetters deletes; without a filter, `all: true` must say that every one of them goes. */
export interface PurgeSelection extends DeadLetterSelection {
  /** Purging without a filter must say so: every dead letter of the selected queues. Not with a filter. */
  readonly all?: boolean;
}

/** Options shared by the queue operations: the clock that stats and requeued messages are timed by. */
export interface QueueOperationOptions {
  /** "Now" for the queues (stats' states and ages, requeued messages' times); default the system clock. */
  readonly clock?: Clock;
}

/** A queue the selection resolved to. */
export interface SelectedQueue {
  readonly store: StoreDefinition;
  readonly queue: QueueDefinition;
}

/** One queue's counts in a QueueStatsReport, with the store it belongs to and its kind. */
export interface QueueStatsEntry extends QueueStats {
  readonly store: StoreName;
  readonly kind: QueueDefinition['kind'];
}

/** What queueStats returns: per selected queue its counts, relative to the clock's now. */
export interface QueueStatsReport {
  readonly backend: Dialect;
  /** Where the installation is (URL redacted). */
  readonly location: string;
  /** The clock's now the states and ages are relative to. */
  readonly at: Date;
  readonly queues: readonly QueueStatsEntry[];
}

/** One dead letter in a DeadLetterReport, with the store and queue kind it belongs to. */
export interface DeadLetterEntry extends DeadLetter {
  readonly store: StoreName;
  readonly kind: QueueDefinition['kind'];
}

/** What listDeadLetters returns: the selected dead letters with their bodies. */
export interface DeadLetterReport {
  readonly backend: Dialect;
  readonly location: string;
  /** Queue by queue in registry order, oldest first within a queue. */
  readonly deadLetters: readonly DeadLetterEntry[];
}

/** What requeueDeadLetters or purgeDeadLetters did: how many dead letters left, in all and per queue. */
export interface DeadLetterActionReport {
  readonly backend: Dialect;
  readonly location: string;
  readonly action: 'requeue' | 'purge';
  /** Dead letters that left the dead letters, over every selected queue. */
  readonly total: number;
  readonly queues: readonly { readonly store: StoreName; readonly queue: string; readonly kind: QueueDefinition['kind']; readonly count: number }[];
}

/** A selection or filter the registry or the queue kind refuses; `argument` names the part that is wrong. */
export class QueueSelectionError extends QueueError {
  readonly argument: 'store' | 'queue' | 'ids' | 'all';

  constructor(argument: QueueSelectionError['argument'], message: string) {
    super('INVALID_ARGUMENT', message);
    this.argument = argument;
  }
}

/** Per queue: ready, in flight, delayed, exhausted, dead and the oldest message's age. Read-only. */
export async function queueStats(config: Config, selection: QueueSelection = {}, options: QueueOperationOptions = {}): Promise<QueueStatsReport> {
  const selected = selectQueues(selection);
  const clock = options.clock ?? systemClock;
  return withReader(config, selected, clock, async (open) => {
    const at = new Date(clock.now());
    const queues: QueueStatsEntry[] = [];
    for (const s of selected) queues.push({ store: s.store.name, kind: s.queue.kind, ...(await open(s).stats()) });
    return { backend: config.database.type, location: describeInstallation(config), at, queues };
  });
}

/** The dead letters the filter selects, with their bodies. Read-only. */
export async function listDeadLetters(
  config: Config,
  selection: DeadLetterSelection = {},
  options: QueueOperationOptions = {},
): Promise<DeadLetterReport> {
  const selected = selectQueues(selection);
  checkDeadLetterFilter(selected, selection.filter);
  return withReader(config, selected, options.clock ?? systemClock, async (open) => {
    const deadLetters: DeadLetterEntry[] = [];
    for (const s of selected) {
      for (const dead of await open(s).deadLetters(selection.filter)) deadLetters.push({ ...dead, store: s.store.name, kind: s.queue.kind });
    }
    return { backend: config.database.type, location: describeInstallation(config), deadLetters };
  });
}

/**
 * Puts the selected dead letters back as new deliveries (QueueStore.requeueDead, one transaction per queue).
 * Needs the writer: on SQLite piri must not be running.
 */
export async function requeueDeadLetters(
  config: Config,
  selection: DeadLetterSelection = {},
  options: QueueOperationOptions = {},
): Promise<DeadLetterActionReport> {
  const selected = selectQueues(selection);
  checkDeadLetterFilter(selected, selection.filter);
  return act(config, selected, options, 'requeue', (queue) => queue.requeueDead(selection.filter));
}

/**
 * Deletes the selected dead letters for good (QueueStore.purgeDead, one transaction per queue). Needs a filter
 * or `all: true`. Needs the writer: on SQLite piri must not be running.
 */
export async function purgeDeadLetters(config: Config, selection: PurgeSelection = {}, options: QueueOperationOptions = {}): Promise<DeadLetterActionReport> {
  const selected = selectQueues(selection);
  checkDeadLetterFilter(selected, selection.filter);
  const filtered = hasFilter(selection.filter);
  if (selection.all === true && filtered) {
    throw new QueueSelectionError('all', 'all purges every dead letter of the selected queues: it does not combine with a filter');
  }
  if (selection.all !== true && !filtered) {
    throw new QueueSelectionError('all', 'purging needs a filter (ids, jobName, movedBefore or limit), or all to purge every dead letter of the selected queues');
  }
  return act(config, selected, options, 'purge', (queue) => queue.purgeDead(selection.filter));
}

/** The registry's queues a selection names, in registry order; refuses unknown names and stores without queues. */
export function selectQueues(selection: QueueSelection = {}): SelectedQueue[] {
  const holders = STORES.filter((s) => s.queues.length > 0);
  let stores = holders;
  if (selection.store !== undefined) {
    const store = STORES.find((s) => s.name === selection.store);
    if (store === undefined) {
      throw new QueueSelectionError('store', `unknown store ${JSON.stringify(selection.store)} (stores with queues: ${names(holders)})`);
    }
    if (store.queues.length === 0) throw new QueueSelectionError('store', `store ${store.name} holds no queues (stores with queues: ${names(holders)})`);
    stores = [store];
  }
  let selected = stores.flatMap((store) => store.queues.map((queue) => ({ store, queue })));
  if (selection.queue !== undefined) {
    const matching = selected.filter((s) => s.queue.name === selection.queue);
    if (matching.length === 0) {
      const known = selected.map((s) => s.queue.name).join(', ');
      throw new QueueSelectionError(
        'queue',
        selection.store !== undefined
          ? `store ${selection.store} has no queue ${JSON.stringify(selection.queue)} (its queues: ${known})`
          : `unknown queue ${JSON.stringify(selection.queue)} (queues: ${known})`,
      );
    }
    selected = matching;
  }
  return selected;
}

/** A filter's fields as the queues check them, and ids against the one selected queue's kind. */
function checkDeadLetterFilter(selected: readonly SelectedQueue[], filter: DeadLetterFilter | undefined): void {
  checkFilter(filter, (id) => id);
  if (filter?.ids === undefined) return;
  if (selected.length !== 1) {
    throw new QueueSelectionError('ids', `message ids belong to one queue: select it (the selection holds ${selected.length} queues)`);
  }
  const { queue } = selected[0]!;
  for (const id of filter.ids) {
    if (typeof id !== 'string' || id === '') throw new QueueSelectionError('ids', `message ids must be non-empty strings, got ${JSON.stringify(id)}`);
    if (queue.kind === 'dedup' && !(/^[0-9]+$/.test(id) && Number.isSafeInteger(Number(id)))) {
      throw new QueueSelectionError('ids', `${JSON.stringify(id)} is not a message id of dedup queue ${queue.name} (its ids are decimal integers)`);
    }
  }
}

function hasFilter(filter: DeadLetterFilter | undefined): boolean {
  return filter !== undefined && (filter.ids !== undefined || filter.jobName !== undefined || filter.movedBefore !== undefined || filter.limit !== undefined);
}

function names(stores: readonly StoreDefinition[]): string {
  return stores.map((s) => s.name).join(', ');
}

type OpenQueue = (selected: SelectedQueue) => QueueStore;

/**
 * Runs `work` on queues over read-only connections to the selected stores, which must be set up and migrated.
 * The queues carry the registry's settings (they decide what counts as exhausted).
 */
async function withReader<T>(config: Config, selected: readonly SelectedQueue[], clock: Clock, work: (open: OpenQueue) => Promise<T>): Promise<T> {
  assertBackend(config.dataDir, config.database.type);
  const resources = new ReleaseStack();
  try {
    const connections = await openReadOnly(config, storesOf(selected), resources);
    // Never watched, so never listening: a reader only sends no notifications either.
    const signals = installationSignals(config, [...connections.values()][0]!, clock);
    resources.push(() => signals.close());
    const open: OpenQueue = ({ store, queue }) => readOnlyQueue(connections.get(store.name)!, queue, clock, signals);
    if (config.database.type === 'sqlite') return await work(open);
    const pg = config.database.postgres;
    try {
      return await work(open);
    } catch (error) {
      throw statementFailed(pg, `reading the queues of PostgreSQL at ${redactUrl(pg.url)}`, error);
    }
  } finally {
    await resources.release();
  }
}

/** Opens the installation as the writer (the application's way) once the selected stores are known to be ready. */
async function act(
  config: Config,
  selected: readonly SelectedQueue[],
  options: QueueOperationOptions,
  action: DeadLetterActionReport['action'],
  run: (queue: QueueStore) => Promise<number>,
): Promise<DeadLetterActionReport> {
  assertBackend(config.dataDir, config.database.type);
  // Ready first, read-only: openDatabases would otherwise create and migrate an installation nobody set up.
  const check = new ReleaseStack();
  try {
    await openReadOnly(config, storesOf(selected), check);
  } finally {
    await check.release();
  }
  const doing = action === 'requeue' ? 'requeueing' : 'purging';
  let dbs: Awaited<ReturnType<typeof openDatabases>>;
  try {
    dbs = await openDatabases(config, { clock: options.clock ?? systemClock });
  } catch (error) {
    if (!(error instanceof DataDirLockedError)) throw error;
    throw new DataDirLockedError(
      `${doing} dead letters writes to the store, so piri must be stopped first ` +
        `(or call ${action === 'requeue' ? 'requeueDead' : 'purgeDead'} from inside it): ${error.message}`,
    );
  }
  try {
    const queues: DeadLetterActionReport['queues'][number][] = [];
    for (const { store: definition, queue } of selected) {
      const store = dbs.stores.find((s) => s.name === definition.name)!;
      const q = queue.kind === 'plain' ? store.queue(queue.name) : store.dedupQueue(queue.name);
      queues.push({ store: definition.name, queue: queue.name, kind: queue.kind, count: await run(q) });
    }
    const total = queues.reduce((sum, q) => sum + q.count, 0);
    return { backend: config.database.type, location: describeInstallation(config), action, total, queues };
  } catch (error) {
    if (error instanceof PiriDbError || config.database.type === 'sqlite') throw error;
    throw statementFailed(config.database.postgres, `${doing} dead letters`, error);
  } finally {
    await dbs.close();
  }
}

function storesOf(selected: readonly SelectedQueue[]): StoreDefinition[] {
  return [...new Set(selected.map((s) => s.store))];
}

/**
 * Connections for reading `stores` (SQLite files opened read-only; on PostgreSQL only SELECTs run), released by
 * `resources`. Refuses a store that is not set up or has pending migrations (the queue statements expect this
 * build's tables): SOURCE_NOT_READY.
 */
async function openReadOnly(config: Config, stores: readonly StoreDefinition[], resources: ReleaseStack): Promise<Map<StoreName, StoreConnection>> {
  const connections = new Map<StoreName, StoreConnection>();
  if (config.database.type === 'sqlite') {
    for (const store of stores) {
      const conn = openSqliteStoreReadOnly(config.dataDir, store);
      if (conn === undefined) throw notSetUp(store, `${sqliteStoreFile(config.dataDir, store)} does not exist`);
      resources.push(() => conn.client.close());
      assertMigrated(store, planSqlite(conn));
      connections.set(store.name, conn);
    }
    return connections;
  }
  const pg = config.database.postgres;
  const sql = await openOperationsPool(pg, 1);
  resources.push(() => sql.end({ timeout: 5 }));
  try {
    // No session SET (default_transaction_read_only was one): through a transaction-mode pooler (PgBouncer) it would
    // stay on the server connection and make other clients' writes fail. The readers only ever run SELECTs.
    for (const store of stores) {
      const plan = await planPostgres(sql, store);
      if (plan.applied.length === 0) throw notSetUp(store, `schema ${store.pgSchema} has no migrations applied in ${redactUrl(pg.url)}`);
      assertMigrated(store, plan);
      // The driver expects the application's pool setup (drizzle's transparent time parsers), which this gives.
      connections.set(store.name, postgresStore(sql, store));
    }
  } catch (error) {
    throw statementFailed(pg, `reading the migration journals in ${redactUrl(pg.url)}`, error);
  }
  return connections;
}

function notSetUp(store: StoreDefinition, why: string): OperationError {
  return new OperationError('SOURCE_NOT_READY', `store ${store.name} is not set up (${why}): run \`piri-db migrate\`, or start piri`);
}

function assertMigrated(store: StoreDefinition, plan: MigrationPlan): void {
  if (plan.pending.length > 0) {
    throw new OperationError(
      'SOURCE_NOT_READY',
      `store ${store.name} has ${plan.pending.length} pending migration(s) (${plan.pending.map((m) => m.tag).join(', ')}): ` +
        'run `piri-db migrate` (piri also migrates when it starts)',
    );
  }
}

/**
 * A queue over a read-only connection, with the registry's settings. The dedup queue's `queues` row upsert is
 * skipped: it is informational (Piri's), the running instance writes it, and a reader must not write.
 */
function readOnlyQueue(connection: StoreConnection, queue: QueueDefinition, clock: Clock, signals: QueueSignals): QueueStore {
  const wake = queueWake(signals, connection.store.name, queue.name);
  if (queue.kind === 'plain') {
    return new PlainQueue(plainQueueSql(connection, signals), { clock }, wake, queue.name, plainQueueSettings(connection.store, queue.name));
  }
  const sql = { ...dedupQueueSql(connection, signals), registerQueue: async () => {} };
  return new DedupQueue(sql, { clock }, wake, queue.name, dedupQueueSettings(connection.store, queue.name));
}
