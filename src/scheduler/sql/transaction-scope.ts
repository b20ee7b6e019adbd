/**
 * What both dialects share: SQLite's FIFO mutex, and the scope that makes a `tx` unusable once its transaction ended
 * and refuses a nested `transaction()` on the same connection (on SQLite it would wait for its own mutex forever).
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { PiriDbError } from '../../errors.ts';

/** `lock()` resolves with the release function once every earlier holder has released. */
export class AsyncMutex {
  #tail: Promise<void> = Promise.resolve();

  lock(): Promise<() => void> {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const acquired = this.#tail.then(() => release);
    this.#tail = this.#tail.then(() => held);
    return acquired;
  }
}

/** One open transaction: `owner` is the connection (better-sqlite3 Database or postgres-js Sql) it runs on. */
export class TransactionScope {
  #open = true;

  constructor(readonly owner: object) {}

  get open(): boolean {
    return this.#open;
  }

  close(): void {
    this.#open = false;
  }

  assertOpen(): void {
    if (!this.#open) throw new Error('scheduler transaction already ended: a tx must not be used after its callback has settled');
  }
}

const current = new AsyncLocalStorage<TransactionScope>();
const openScopes = new WeakMap<object, TransactionScope>();

/** Refuses `transaction()` from inside an open transaction on the same connection. */
export function assertNotNested(owner: object): void {
  const scope = current.getStore();
  if (scope?.open && scope.owner === owner) {
    throw new Error('scheduler transaction opened inside another one on the same connection: use the tx passed to your callback');
  }
}

/** Refuses a statement on `owner`, issued as `what`, from outside its open transaction (it would run inside it). */
export function assertNoForeignTransaction(owner: object, what: string): void {
  const open = openScopes.get(owner);
  if (open?.open && current.getStore() !== open) {
    throw new PiriDbError(
      'TRANSACTION_OPEN',
      `${what} was used while a scheduler transaction is open on the same SQLite connection, and would have run inside ` +
        'it: run the statement in a scheduler transaction instead (dbs.scheduler.transaction((tx) => ... tx.db ...))',
    );
  }
}

export function runInScope<T>(scope: TransactionScope, fn: () => Promise<T>): Promise<T> {
  openScopes.set(scope.owner, scope);
  return current.run(scope, fn);
}
