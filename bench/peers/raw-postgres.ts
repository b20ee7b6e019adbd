/**
 * Piri's plain-queue statements (spec 4.2-4.3) on raw postgres-js, with the one change piri-db makes on purpose:
 * FOR UPDATE SKIP LOCKED in the claim's subquery, so concurrent consumers never claim the same row (spec 4.6).
 * postgres-js prepares every parameterised statement by default, so each call is one round trip.
 */
import postgres from 'postgres';
import type { QueueSystem } from '../support/workload.ts';
import { MAX_RECEIVE, QUEUE_NAME, VISIBILITY_MS } from './piri-queue-params.ts';

/** Piri's jobqueue table on Postgres, with its index and its `updated` trigger; one statement per entry. */
const SCHEMA = [
  `CREATE TABLE jobqueue (
     id TEXT PRIMARY KEY DEFAULT ('m_' || replace(gen_random_uuid()::text, '-', '')),
     created TIMESTAMPTZ NOT NULL DEFAULT NOW(),
     updated TIMESTAMPTZ NOT NULL DEFAULT NOW(),
     queue TEXT NOT NULL,
     body BYTEA NOT NULL,
     timeout TIMESTAMPTZ NOT NULL DEFAULT NOW(),
     received INTEGER NOT NULL DEFAULT 0
   )`,
  'CREATE INDEX jobqueue_queue_created_idx ON jobqueue (queue, created)',
  `CREATE FUNCTION jobqueue_update_timestamp() RETURNS trigger LANGUAGE plpgsql AS $$
   BEGIN NEW.updated = NOW(); RETURN NEW; END $$`,
  `CREATE TRIGGER jobqueue_updated_timestamp BEFORE UPDATE ON jobqueue
   FOR EACH ROW EXECUTE FUNCTION jobqueue_update_timestamp()`,
];

interface ClaimedRow {
  id: string;
  body: Buffer;
  received: number;
}

export function rawPostgres(databaseUrl: string): QueueSystem {
  // The default pool of 10 leaves every one of 8 consumers its own connection.
  const sql = postgres(databaseUrl, { max: 10, onnotice: () => {} });

  const receive = async (): Promise<ClaimedRow | undefined> => {
    const now = new Date();
    const [job] = await sql<ClaimedRow[]>`
      UPDATE jobqueue SET timeout = ${new Date(now.getTime() + VISIBILITY_MS)}, received = received + 1
      WHERE id = (SELECT id FROM jobqueue
                  WHERE queue = ${QUEUE_NAME} AND ${now} >= timeout AND received < ${MAX_RECEIVE}
                  ORDER BY created LIMIT 1
                  FOR UPDATE SKIP LOCKED)
      RETURNING id, body, received`;
    return job;
  };

  return {
    name: 'raw postgres-js',
    backend: 'postgres',
    databaseUrl,
    async setup() {
      for (const statement of SCHEMA) await sql.unsafe(statement);
    },
    async sendOne(payload) {
      await sql`
        INSERT INTO jobqueue (queue, body, timeout) VALUES (${QUEUE_NAME}, ${Buffer.from(payload)}, ${new Date()})
        RETURNING id`;
    },
    async sendBatch(payloads) {
      // One statement with three parameters whatever the batch size: unnest expands the bytea array into rows.
      const bodies = payloads.map((payload) => Buffer.from(payload));
      await sql`
        INSERT INTO jobqueue (queue, body, timeout)
        SELECT ${QUEUE_NAME}, body, ${new Date()} FROM unnest(${sql.array(bodies)}::bytea[]) AS body`;
    },
    async drain({ workers, handle }) {
      // A consumer ends at its first empty receive: rows it skipped were locked by consumers that will delete them.
      const consume = async () => {
        for (let job = await receive(); job !== undefined; job = await receive()) {
          await handle(job.body.toString());
          await sql`DELETE FROM jobqueue WHERE queue = ${QUEUE_NAME} AND id = ${job.id}`;
        }
      };
      await Promise.all(Array.from({ length: workers }, consume));
    },
    async remaining() {
      const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM jobqueue`;
      return row?.n ?? 0;
    },
    async teardown() {
      await sql.end();
    },
  };
}
