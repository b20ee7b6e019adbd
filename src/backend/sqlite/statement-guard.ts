/**
 * A check run before every statement a store's drizzle instance prepares. The scheduler registers one on its
 * connection: its transactions stay open across awaits on the store's one connection, so a statement issued through
 * `store.db` from elsewhere in the process would otherwise run inside them (and commit or roll back with them).
 */
import type Database from 'better-sqlite3';

const checks = new WeakMap<Database.Database, () => void>();

/** Runs `check` before each statement prepared through the drizzle instance of `client`'s store. */
export function guardStatements(client: Database.Database, check: () => void): void {
  checks.set(client, check);
}

/** The client a store's drizzle instance is given: `client` itself, with `prepare` checked first. */
export function guardedClient(client: Database.Database): Database.Database {
  return new Proxy(client, {
    get(target, key) {
      if (key === 'prepare') {
        return (source: string) => {
          checks.get(target)?.();
          return target.prepare(source);
        };
      }
      const value: unknown = Reflect.get(target, key, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}
