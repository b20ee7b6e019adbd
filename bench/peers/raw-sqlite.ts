/**
 * The plain queue on raw better-sqlite3: the floor any SQLite queue pays. Settings as piri-db opens a store: WAL,
 * synchronous NORMAL, busy_timeout 5000, prepared statements, claims under BEGIN IMMEDIATE. Two statement sets
 * (RawStatements): piri-db's on the store file piri-db's migrations make, the single-call targets' baseline; and
 * Piri's (data-model §4.2-4.3) on Piri's table, which shows what piri-db's claim order costs.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { sqliteStoreFile } from '../../src/backend/sqlite/open.ts';
import { newMessageId } from '../../src/queue/message-id.ts';
import { PIRI_SCHEMA } from '../../src/catalog/piri-schema.ts';
import type { QueueSystem } from '../support/workload.ts';
import { createPiriDbTables, MAX_RECEIVE, QUEUE_NAME, type RawStatements, REPLICATOR, VISIBILITY_MS } from './piri-queue-params.ts';

interface ClaimedRow {
  id: string;
  body: Buffer;
  received: number;
}

export function rawSqlite(statements: RawStatements): QueueSystem {
  let dir = '';
  let db: Database.Database | undefined;
  let prepared: ReturnType<typeof prepare> | undefined;
  const open = () => {
    if (prepared === undefined) throw new Error('raw-sqlite: setup() has not run');
    return prepared;
  };

  return {
    name: statements === 'piri-db' ? "raw better-sqlite3, piri-db's statements" : "raw better-sqlite3, Piri's statements",
    backend: 'sqlite',
    async setup() {
      dir = await mkdtemp(join(tmpdir(), 'piri-db-bench-raw-sqlite-'));
      if (statements === 'piri-db') await createPiriDbTables({ backend: 'sqlite', dataDir: dir });
      db = new Database(statements === 'piri-db' ? sqliteStoreFile(dir, REPLICATOR) : join(dir, 'jobqueue.db'));
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('busy_timeout = 5000');
      // Piri's queue tables as Piri makes them (the DDL adopt fingerprints installations against).
      if (statements === 'piri') for (const statement of PIRI_SCHEMA.sqlite.replicator) db.exec(statement);
      prepared = prepare(db, statements);
    },
    async sendOne(payload) {
      open().send(Buffer.from(payload));
    },
    async sendBatch(payloads) {
      open().sendMany(payloads.map((payload) => Buffer.from(payload)));
    },
    async drain({ workers, handle }) {
      const { receive, remove } = open();
      // Each consumer ends at its first empty receive: a job another consumer holds is that consumer's to delete.
      const consume = async () => {
        for (let job = receive(); job !== undefined; job = receive()) {
          await handle(job.body.toString());
          remove(job.id);
        }
      };
      await Promise.all(Array.from({ length: workers }, consume));
    },
    async remaining() {
      return open().count();
    },
    async teardown() {
      db?.close();
      if (dir !== '') await rm(dir, { recursive: true, force: true });
    },
  };
}

function prepare(db: Database.Database, statements: RawStatements) {
  const piriDb = statements === 'piri-db';
  const claim = db.prepare<{ queue: string; now: string; deadline: string; maxReceive: number }, ClaimedRow>(
    piriDb
      ? `UPDATE jobqueue SET timeout = @deadline, received = received + 1
         WHERE id = (SELECT id FROM jobqueue WHERE queue = @queue AND timeout <= @now AND received < @maxReceive
                     ORDER BY created, id LIMIT 1)
         RETURNING id, body, received`
      : `UPDATE jobqueue SET timeout = @deadline, received = received + 1
         WHERE id = (SELECT id FROM jobqueue
                     WHERE queue = @queue AND @now >= timeout AND received < @maxReceive
                     ORDER BY created LIMIT 1)
         RETURNING id, body, received`,
  );
  const del = db.prepare<[string, string]>('DELETE FROM jobqueue WHERE queue = ? AND id = ?');
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM jobqueue');
  // Timestamps are TEXT compared as strings, so always UTC with millisecond precision: toISOString's fixed width.
  const send = piriDb ? piriDbSend(db) : piriSend(db);
  const receiveImmediate = db.transaction(() => {
    const now = Date.now();
    return claim.get({
      queue: QUEUE_NAME,
      now: new Date(now).toISOString(),
      deadline: new Date(now + VISIBILITY_MS).toISOString(),
      maxReceive: MAX_RECEIVE,
    });
  });
  return {
    send,
    sendMany: db.transaction((bodies: readonly Buffer[]) => {
      for (const body of bodies) send(body);
    }),
    receive: () => receiveImmediate.immediate(),
    remove: (id: string) => void del.run(QUEUE_NAME, id),
    count: () => count.get()?.n ?? 0,
  };
}

function piriDbSend(db: Database.Database): (body: Buffer) => void {
  const insert = db.prepare<[string, string, string, string, Buffer, string]>(
    'INSERT INTO jobqueue (id, created, updated, queue, body, timeout) VALUES (?, ?, ?, ?, ?, ?)',
  );
  return (body) => {
    const nowMs = Date.now();
    const now = new Date(nowMs).toISOString();
    insert.run(newMessageId(nowMs), now, now, QUEUE_NAME, body, now);
  };
}

function piriSend(db: Database.Database): (body: Buffer) => void {
  const insert = db.prepare<[string, Buffer, string]>('INSERT INTO jobqueue (queue, body, timeout) VALUES (?, ?, ?) RETURNING id');
  // all(), not get(): get() resets the statement after its first row, an autocommit INSERT ... RETURNING then commits
  // inside sqlite3_reset(), where SQLite skips the WAL hook, so the automatic checkpoint never runs (the WAL reached
  // 112 MB for 7,500 sends) and the peer skips the checkpoint fsyncs every other writer pays.
  return (body) => void insert.all(QUEUE_NAME, body, new Date().toISOString());
}
