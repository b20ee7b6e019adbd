/**
 * The plain queue on raw postgres-js: the floor under piri-db's Postgres queue. postgres-js prepares every
 * parameterised statement by default, so each call is one round trip. Two statement sets (see RawStatements):
 *
 * - 'piri-db', the single-call targets' baseline: piri-db's own statements (src/queue/sql/postgres.ts) on the tables
 *   piri-db's migrations make, ids made as piri-db makes them. The ratio against it is the cost of piri-db's code.
 * - 'piri': Piri's statements on Piri's table (data-model §4.2-4.3), with FOR UPDATE SKIP LOCKED in the claim as piri-db
 *   has it (data-model §4.6). Against 'piri-db' it shows what piri-db's claim order costs (docs/benchmarks.md).
 */
import postgres from 'postgres';
import { newMessageId } from '../../src/queue/message-id.ts';
import type { QueueSystem } from '../support/workload.ts';
import {
  createPiriDbTables,
  MAX_RECEIVE,
  piriPostgresTable,
  QUEUE_NAME,
  type RawStatements,
  REPLICATOR,
  VISIBILITY_MS,
} from './piri-queue-params.ts';

interface ClaimedRow {
  id: string;
  body: Buffer;
  received: number;
}

export function rawPostgres(databaseUrl: string, statements: RawStatements): QueueSystem {
  // The default pool of 10 leaves every one of 8 consumers its own connection. Unqualified names resolve to
  // piri-db's store schema through search_path, so both statement sets read alike.
  const sql = postgres(databaseUrl, {
    max: 10,
    onnotice: () => {},
    ...(statements === 'piri-db' ? { connection: { search_path: REPLICATOR.pgSchema } } : {}),
  });
  const piriDb = statements === 'piri-db';

  const receive = async (): Promise<ClaimedRow | undefined> => {
    const now = new Date();
    const visibleAt = new Date(now.getTime() + VISIBILITY_MS);
    const [job] = piriDb
      ? await sql<ClaimedRow[]>`
          UPDATE jobqueue SET timeout = ${visibleAt}, received = received + 1
          WHERE id = (SELECT id FROM jobqueue WHERE queue = ${QUEUE_NAME} AND timeout <= ${now} AND received < ${MAX_RECEIVE}
                      ORDER BY created, id LIMIT 1 FOR UPDATE SKIP LOCKED)
          RETURNING id, body, received`
      : await sql<ClaimedRow[]>`
          UPDATE jobqueue SET timeout = ${visibleAt}, received = received + 1
          WHERE id = (SELECT id FROM jobqueue
                      WHERE queue = ${QUEUE_NAME} AND ${now} >= timeout AND received < ${MAX_RECEIVE}
                      ORDER BY created LIMIT 1
                      FOR UPDATE SKIP LOCKED)
          RETURNING id, body, received`;
    return job;
  };

  return {
    name: piriDb ? "raw postgres-js, piri-db's statements" : "raw postgres-js, Piri's statements",
    backend: 'postgres',
    databaseUrl,
    async setup() {
      if (piriDb) await createPiriDbTables({ backend: 'postgres', databaseUrl });
      else for (const statement of piriPostgresTable()) await sql.unsafe(statement);
      // postgres-js learns the server's array types on its first connection: a sendBatch before that would bind the
      // bytea[] parameter as bytea.
      await sql`SELECT 1`;
    },
    async sendOne(payload) {
      const now = new Date();
      if (piriDb) {
        await sql`
          INSERT INTO jobqueue (id, created, updated, queue, body, timeout)
          VALUES (${newMessageId(now.getTime())}, ${now}, ${now}, ${QUEUE_NAME}, ${Buffer.from(payload)}, ${now})`;
      } else {
        await sql`
          INSERT INTO jobqueue (queue, body, timeout) VALUES (${QUEUE_NAME}, ${Buffer.from(payload)}, ${now})
          RETURNING id`;
      }
    },
    async sendBatch(payloads) {
      // One statement whatever the batch size: unnest expands the arrays into rows.
      const now = new Date();
      const bodies = sql.array(payloads.map((payload) => Buffer.from(payload)));
      if (piriDb) {
        const ids = sql.array(payloads.map(() => newMessageId(now.getTime())));
        await sql`
          INSERT INTO jobqueue (id, created, updated, queue, body, timeout)
          SELECT m.id, ${now}, ${now}, ${QUEUE_NAME}::text, m.body, ${now} FROM unnest(${ids}::text[], ${bodies}::bytea[]) AS m(id, body)`;
      } else {
        await sql`
          INSERT INTO jobqueue (queue, body, timeout)
          SELECT ${QUEUE_NAME}, body, ${now} FROM unnest(${bodies}::bytea[]) AS body`;
      }
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
