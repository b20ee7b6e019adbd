/**
 * One LISTEN on one channel, kept alive. postgres-js's `listen` holds a dedicated connection and re-LISTENs after a
 * close (calling onlisten again), but a re-LISTEN that fails then (the server still down) is dropped without a
 * word, and a connection that dies without a close (a NAT or firewall dropping it) is never noticed: notifications
 * would just stop. So the listening client is ours, separate from the pool, and its health is checked the only way
 * that proves delivery: every pingIntervalMs a notification is sent on the channel (through the pool), and one that
 * has not come back within pingTimeoutMs of being sent counts as down, as does a failed LISTEN. Down drops the
 * client; a new one listens, with backoff.
 *
 * A LISTEN counts as up only once a first ping has come back: through a transaction-mode pooler (PgBouncer) the
 * LISTEN succeeds on whichever server connection ran it, which then serves other clients, and nothing is ever
 * delivered. Such a listener is reported down once, with what to do, and keeps retrying quietly.
 */
import postgres, { type Sql } from 'postgres';

export interface ListenerHandlers {
  onNotify(payload: string): void;
  /** The LISTEN is in place: at start and after every reconnect. Notifications sent meanwhile were lost. */
  onUp(): void;
  /** Notifications may be missed from now until the next onUp. Also once at start when the first LISTEN fails. */
  onDown(reason: string): void;
}

export interface ListenerTiming {
  readonly pingIntervalMs: number;
  readonly pingTimeoutMs: number;
}

/** A dead listener is noticed within pingIntervalMs + pingTimeoutMs: 15 s. */
export const DEFAULT_LISTENER_TIMING: ListenerTiming = { pingIntervalMs: 10_000, pingTimeoutMs: 5_000 };

const RECONNECT_MIN_MS = 100;
const RECONNECT_MAX_MS = 10_000;

export interface ChannelListener {
  close(): Promise<void>;
}

/** `pool` sends the pings; `url` is where the listening client connects. */
export function listenChannel(
  url: string,
  pool: Sql,
  channel: string,
  handlers: ListenerHandlers,
  timing: ListenerTiming = DEFAULT_LISTENER_TIMING,
): ChannelListener {
  const pingPayload = `ping:${Math.random().toString(36).slice(2)}`;
  let client: Sql | undefined;
  let up = false;
  /** onDown has been called since the last onUp (or since start): the next failures are not news. */
  let reported = false;
  let closed = false;
  let failures = 0;
  /** The client a ping is out for, until it comes back; its deadline runs from when the pool sent it. */
  let awaiting: Sql | undefined;
  let pingDeadline: NodeJS.Timeout | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const down = (reason: string, failed: Sql) => {
    if (closed || failed !== client) return;
    client = undefined;
    awaiting = undefined;
    clearTimeout(pingDeadline);
    void failed.end({ timeout: 0 }).catch(() => {});
    up = false;
    if (!reported) {
      reported = true;
      handlers.onDown(reason);
    }
    reconnectTimer = setTimeout(connect, Math.min(RECONNECT_MAX_MS, RECONNECT_MIN_MS * 2 ** Math.min(failures++, 10)));
  };

  const notified = (payload: string) => {
    if (payload !== pingPayload) return handlers.onNotify(payload);
    const current = awaiting;
    awaiting = undefined;
    clearTimeout(pingDeadline);
    if (up || closed || current !== client) return;
    up = true;
    reported = false;
    failures = 0;
    handlers.onUp();
  };

  function connect() {
    if (closed) return;
    const current = postgres(url, { max: 1, fetch_types: false, onnotice: () => {}, connection: { application_name: 'piri-db listener' } });
    client = current;
    // onlisten runs after the first LISTEN and after each reconnect postgres-js makes on its own; either way the
    // LISTEN is proven by a ping before it counts.
    current.listen(channel, notified, () => {
      if (closed || client !== current) return;
      up = false;
      awaiting = undefined;
      clearTimeout(pingDeadline);
      ping();
    }).catch((error: unknown) => down(`LISTEN failed: ${messageOf(error)}`, current));
  }

  function ping() {
    const current = client;
    if (current === undefined || awaiting !== undefined) return;
    awaiting = current;
    const proving = !up;
    pool`SELECT pg_notify(${channel}, ${pingPayload})`.then(
      () => {
        if (awaiting !== current) return;
        pingDeadline = setTimeout(
          () => down(proving ? neverDelivered(timing.pingTimeoutMs) : `a ping did not come back within ${timing.pingTimeoutMs} ms`, current),
          timing.pingTimeoutMs,
        );
      },
      // The pool's own trouble (the server is down, say): the next ping tries again.
      () => {
        if (awaiting === current) awaiting = undefined;
      },
    );
  }

  connect();
  // Also retries a first ping that the pool could not send.
  const pingTimer = setInterval(ping, timing.pingIntervalMs);

  return {
    async close() {
      closed = true;
      clearInterval(pingTimer);
      clearTimeout(pingDeadline);
      clearTimeout(reconnectTimer);
      await client?.end({ timeout: 0 }).catch(() => {});
      client = undefined;
    },
  };
}

function neverDelivered(timeoutMs: number): string {
  return (
    `a notification sent to check the new LISTEN did not come back within ${timeoutMs} ms; behind a transaction-mode ` +
    'pooler such as PgBouncer, LISTEN needs a direct connection: set database.postgres.direct_url ' +
    '(PIRI_REPO_DATABASE_POSTGRES_DIRECT_URL)'
  );
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
