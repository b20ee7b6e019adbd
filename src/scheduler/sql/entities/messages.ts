/** Chain messages (data-model §8.1, §8.5): the sends, their per-sender nonce locks, and the watched waits. */
import * as schema from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { anyOf, columns, forUpdate, out, p, type Params, sql, table, TRUE } from '../statement.ts';

const SENDS = table(schema.messageSendsEth);
const LOCKS = table(schema.messageSendEthLocks);
const WAITS = table(schema.messageWaitsEth);
const TASK = table(schema.task);

/** Confirmed waits nothing refers to; `w` is message_waits_eth. */
const unreferencedWait = sql`w.tx_status = 'confirmed'
  AND NOT EXISTS (SELECT 1 FROM ${table(schema.pdpProofsetCreates)} c WHERE c.create_message_hash = w.signed_tx_hash)
  AND NOT EXISTS (SELECT 1 FROM ${table(schema.pdpProofsetRoots)} r WHERE r.add_message_hash = w.signed_tx_hash)
  AND NOT EXISTS (SELECT 1 FROM ${table(schema.pdpProofsetRootAdds)} a WHERE a.add_message_hash = w.signed_tx_hash)
  AND NOT EXISTS (SELECT 1 FROM ${table(schema.pdpProviderRegistrations)} g WHERE g.register_message_hash = w.signed_tx_hash)
  AND NOT EXISTS (SELECT 1 FROM ${table(schema.pdpProofSets)} ps WHERE ps.challenge_request_msg_hash = w.signed_tx_hash)
  AND NOT EXISTS (SELECT 1 FROM ${table(schema.railSettlementWaits)} rs WHERE rs.signed_tx_hash = w.signed_tx_hash)
  AND NOT EXISTS (SELECT 1 FROM ${table(schema.withdrawalWaits)} ww WHERE ww.signed_tx_hash = w.signed_tx_hash)
  AND NOT EXISTS (SELECT 1 FROM ${SENDS} s
                  WHERE s.signed_hash = w.signed_tx_hash AND (s.send_time IS NULL OR s.send_time >= ${p.time('cutoffMs')}))`;

const pendingWait = sql`INSERT INTO ${WAITS} (signed_tx_hash, tx_status, confirmed_tx_hash)
  VALUES (${p.text('signedTxHash')}, 'pending', '')`;

const S = {
  sendInsert: sql`INSERT INTO ${SENDS} (from_address, to_address, send_reason, send_task_id, unsigned_tx, unsigned_hash)
    VALUES (${p.text('fromAddress')}, ${p.text('toAddress')}, ${p.text('sendReason')}, ${p.int('taskId')},
      ${p.bytes('unsignedTx')}, ${p.text('unsignedHash')})`,
  sendMaxNonce: sql`SELECT ${out.nullInt('nonce', 'MAX(nonce)')} FROM ${SENDS}
    WHERE from_address = ${p.text('fromAddress')} AND send_success = ${TRUE}`,
  sendAssignNonce: sql`UPDATE ${SENDS} SET nonce = ${p.int('nonce')}, signed_tx = ${p.bytes('signedTx')},
    signed_hash = ${p.text('signedHash')} WHERE send_task_id = ${p.int('taskId')}`,
  sendRecord: sql`UPDATE ${SENDS} SET send_success = ${p.bool('success')}, send_error = ${p.text('error')},
    send_time = ${p.time('nowMs')} WHERE send_task_id = ${p.int('taskId')}`,
  // Keeps each sender's successful send with the highest nonce: the next nonce is derived from it.
  sendPrune: sql`DELETE FROM ${SENDS} WHERE send_task_id IN (SELECT m.send_task_id FROM ${SENDS} m
    WHERE m.send_success IS NOT NULL AND m.send_time < ${p.time('cutoffMs')}
      AND NOT EXISTS (SELECT 1 FROM ${TASK} t WHERE t.id = m.send_task_id)
      AND NOT (m.send_success = ${TRUE} AND m.nonce IS NOT NULL AND m.nonce = (
        SELECT MAX(k.nonce) FROM ${SENDS} k WHERE k.from_address = m.from_address AND k.send_success = ${TRUE}))
    ORDER BY m.send_task_id LIMIT ${p.int('limit')})`,
  sendGet: sql`SELECT ${columns(schema.messageSendsEth, 'm')},
    ${out.bool('taskPresent', sql`EXISTS (SELECT 1 FROM ${TASK} t WHERE t.id = m.send_task_id)`)}
    FROM ${SENDS} m WHERE send_task_id = ${p.int('taskId')}`,

  lockAcquire: sql`INSERT INTO ${LOCKS} AS l (from_address, task_id, claimed_at)
    VALUES (${p.text('fromAddress')}, ${p.int('taskId')}, ${p.time('nowMs')})
    ON CONFLICT (from_address) DO UPDATE SET task_id = excluded.task_id, claimed_at = excluded.claimed_at
    WHERE l.task_id = excluded.task_id`,
  lockRelease: sql`DELETE FROM ${LOCKS} WHERE from_address = ${p.text('fromAddress')} AND task_id = ${p.int('taskId')}`,
  lockHolder: sql`SELECT ${out.int('taskId', 'task_id')}, ${out.time('claimedAtMs', 'claimed_at')} FROM ${LOCKS}
    WHERE from_address = ${p.text('fromAddress')}`,
  // Locked: a concurrent takeover or release waits for us (or we for it, and then see its result).
  lockStaleHolder: sql`SELECT ${out.int('taskId', 'l.task_id')} FROM ${LOCKS} l
    WHERE from_address = ${p.text('fromAddress')} AND task_id <> ${p.int('taskId')}
      AND NOT EXISTS (SELECT 1 FROM ${TASK} t WHERE t.id = l.task_id)${forUpdate({ of: 'l' })}`,
  lockTakeOver: sql`UPDATE ${LOCKS} SET task_id = ${p.int('taskId')}, claimed_at = ${p.time('nowMs')}
    WHERE from_address = ${p.text('fromAddress')} AND task_id = ${p.int('previous')}`,

  // Two statements: lock the candidates, then delete them re-checking the references in a fresh snapshot (Postgres,
  // READ COMMITTED: a transaction adding a reference takes KEY SHARE on the wait row, so it either committed before
  // our lock and the re-check sees it, or waits for us). On SQLite, the single writer makes the re-check a no-op.
  waitPruneCandidates: sql`SELECT ${out.text('signedTxHash', 'w.signed_tx_hash')} FROM ${WAITS} w WHERE ${unreferencedWait}
    ORDER BY w.signed_tx_hash LIMIT ${p.int('limit')}${forUpdate({ of: 'w', skipLocked: true })}`,
  waitPruneDelete: sql`DELETE FROM ${WAITS} AS w WHERE w.signed_tx_hash ${anyOf.texts('hashes')} AND ${unreferencedWait}`,
  waitInsertPending: pendingWait,
  waitInsertPendingIgnore: sql`${pendingWait} ON CONFLICT (signed_tx_hash) DO NOTHING`,
  waitMarkWatched: sql`UPDATE ${WAITS} SET waiter_machine_id = 1 WHERE waiter_machine_id IS NULL AND tx_status = 'pending'`,
  waitWatched: sql`SELECT ${out.text('signedTxHash', 'signed_tx_hash')} FROM ${WAITS}
    WHERE waiter_machine_id = 1 AND tx_status = 'pending' ORDER BY signed_tx_hash LIMIT ${p.int('limit')}`,
  waitConfirm: sql`UPDATE ${WAITS} SET confirmed_block_number = ${p.int('blockNumber')}, confirmed_tx_hash = ${p.text('txHash')},
    confirmed_tx_data = ${p.json('txData')}, tx_status = 'confirmed', tx_receipt = ${p.json('receipt')},
    tx_success = ${p.bool('success')}
    WHERE signed_tx_hash = ${p.text('signedTxHash')} AND tx_status = 'pending'`,
  waitConfirmSuccessful: sql`UPDATE ${WAITS} SET tx_status = 'confirmed', tx_success = ${TRUE}
    WHERE signed_tx_hash = ${p.text('signedTxHash')} AND tx_status = 'pending'`,
  waitGet: sql`SELECT ${columns(schema.messageWaitsEth)} FROM ${WAITS} WHERE signed_tx_hash = ${p.text('signedTxHash')}`,
  waitDelete: sql`DELETE FROM ${WAITS} WHERE signed_tx_hash = ${p.text('signedTxHash')}`,
};

type P<K extends keyof typeof S> = Params<(typeof S)[K]>;

/** The row a SendTransaction task sends (`taskId` is that task's id); nonce, signed_* and send_* start NULL. */
export type MessageSendInsert = P<'sendInsert'>;
/** What the message watcher writes when a watched transaction has enough confirmations (data-model §8.5). */
export type WaitConfirmation = P<'waitConfirm'>;

export const messageSends = (db: SqlSession) => ({
  insert: async (m: MessageSendInsert) => void (await db.run(S.sendInsert, m)),
  /** Over the sender's successful sends. */
  maxSentNonce: async (a: P<'sendMaxNonce'>) => (await db.get(S.sendMaxNonce, a))?.nonce ?? undefined,
  assignNonce: async (a: P<'sendAssignNonce'>) => (await db.run(S.sendAssignNonce, a)) === 1,
  /** send_error is '' on success: Piri's waiter treats NULL as an error. */
  recordSend: async (a: P<'sendRecord'>) => (await db.run(S.sendRecord, a)) === 1,
  /** Retention: up to `limit` finished sends older than the cutoff whose task row is gone. */
  pruneFinished: (a: P<'sendPrune'>) => db.run(S.sendPrune, a),
  get: (a: P<'sendGet'>) => db.get(S.sendGet, a),
});

export const messageSendLocks = (db: SqlSession) => ({
  /** Piri's upsert: insert, or take over only if `taskId` already holds it. */
  acquire: async (a: P<'lockAcquire'>) => (await db.run(S.lockAcquire, a)) === 1,
  release: async (a: P<'lockRelease'>) => (await db.run(S.lockRelease, a)) === 1,
  holder: (a: P<'lockHolder'>) => db.get(S.lockHolder, a),
  /** piri-db's rule (Piri has none): takes the lock from a holder whose task row is gone; returns that task's id. */
  takeOverStale: async (a: Omit<P<'lockTakeOver'>, 'previous'>) => {
    const stale = await db.get(S.lockStaleHolder, a);
    if (!stale) return undefined;
    return (await db.run(S.lockTakeOver, { ...a, previous: stale.taskId })) === 1 ? stale.taskId : undefined;
  },
});

export const messageWaits = (db: SqlSession) => ({
  /**
   * Retention: up to `limit` confirmed waits nothing refers to (references cascade: deleting one would delete
   * confirmed roots); a send newer than the cutoff or unfinished also keeps its wait.
   */
  pruneConfirmed: async ({ cutoffMs, limit }: P<'waitPruneCandidates'>) => {
    const hashes = (await db.all(S.waitPruneCandidates, { cutoffMs, limit })).map((r) => r.signedTxHash);
    return hashes.length === 0 ? 0 : db.run(S.waitPruneDelete, { cutoffMs, hashes });
  },
  /** With `ignoreExisting`, a hash already watched is no error. */
  insertPending: async ({ ignoreExisting, ...a }: P<'waitInsertPending'> & { ignoreExisting?: boolean }) =>
    (await db.run(ignoreExisting ? S.waitInsertPendingIgnore : S.waitInsertPending, a)) === 1,
  /** The watcher's claim of unwatched pending waits. */
  markWatched: () => db.run(S.waitMarkWatched, {}),
  /** In hash order. */
  watched: async (a: P<'waitWatched'>) => (await db.all(S.waitWatched, a)).map((r) => r.signedTxHash),
  /** Only while pending: the transition fires the status triggers once. */
  confirm: async (c: WaitConfirmation) => (await db.run(S.waitConfirm, c)) === 1,
  /** The admin repair's write (data-model §8.4 step 8). */
  confirmSuccessful: async (a: P<'waitConfirmSuccessful'>) => (await db.run(S.waitConfirmSuccessful, a)) === 1,
  get: (a: P<'waitGet'>) => db.get(S.waitGet, a),
  /** Never done by Piri: cascades to the hash's creates, roots, root adds and registrations. */
  delete: async (a: P<'waitDelete'>) => (await db.run(S.waitDelete, a)) === 1,
});
