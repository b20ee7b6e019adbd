/** Proof sets (data-model §8.2, §8.6): create messages until materialised, proof sets and their prove tasks. */
import * as schema from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { columns, FALSE, out, p, type Params, sql, table, TRUE } from '../statement.ts';

const CREATES = table(schema.pdpProofsetCreates);
const SETS = table(schema.pdpProofSets);
const PROVE = table(schema.pdpProveTasks);

const set = columns(schema.pdpProofSets);
const id = out.int('id');
const byId = sql`WHERE id = ${p.int('id')}`;

const S = {
  createInsert: sql`INSERT INTO ${CREATES} (create_message_hash, ok, proofset_created, service, created_at)
    VALUES (${p.text('createMessageHash')}, NULL, ${FALSE}, ${p.text('service')}, ${p.time('nowMs')})`,
  createGet: sql`SELECT ${columns(schema.pdpProofsetCreates)} FROM ${CREATES} WHERE create_message_hash = ${p.text('createMessageHash')}`,
  createReady: sql`SELECT ${columns(schema.pdpProofsetCreates, 'c')}, ${out.json('txReceipt', 'w.tx_receipt')}
    FROM ${CREATES} c LEFT JOIN ${table(schema.messageWaitsEth)} w ON w.signed_tx_hash = c.create_message_hash
    WHERE c.ok = ${TRUE} AND c.proofset_created = ${FALSE}
    ORDER BY c.created_at, c.create_message_hash LIMIT ${p.int('limit')}`,
  createMarkCreated: sql`UPDATE ${CREATES} SET proofset_created = ${TRUE}
    WHERE create_message_hash = ${p.text('createMessageHash')} AND proofset_created = ${FALSE}`,

  insert: sql`INSERT INTO ${SETS} (id, create_message_hash, service, proving_period, challenge_window, init_ready)
    VALUES (${p.int('id')}, ${p.text('createMessageHash')}, ${p.text('service')}, ${p.intOrNull('provingPeriod')},
      ${p.intOrNull('challengeWindow')}, ${FALSE}) ON CONFLICT (id) DO NOTHING`,
  get: sql`SELECT ${set} FROM ${SETS} ${byId}`,
  byCreate: sql`SELECT ${set} FROM ${SETS} WHERE create_message_hash = ${p.text('createMessageHash')} ORDER BY id LIMIT 1`,
  list: sql`SELECT ${set} FROM ${SETS} WHERE service = ${p.text('service')} ORDER BY id`,
  delete: sql`DELETE FROM ${SETS} ${byId}`,
  markInitReady: sql`UPDATE ${SETS} SET init_ready = ${TRUE} ${byId}
    AND prev_challenge_request_epoch IS NULL AND challenge_request_msg_hash IS NULL AND prove_at_epoch IS NULL`,
  initCandidates: sql`SELECT ${id} FROM ${SETS}
    WHERE challenge_request_task_id IS NULL AND init_ready = ${TRUE} AND prove_at_epoch IS NULL ORDER BY id`,
  nextPeriodCandidates: sql`SELECT ${id} FROM ${SETS}
    WHERE challenge_request_task_id IS NULL AND (prove_at_epoch + challenge_window) <= ${p.int('height')} ORDER BY id`,
  claimChallengeTask: sql`UPDATE ${SETS} SET challenge_request_task_id = ${p.int('taskId')} ${byId}
    AND challenge_request_task_id IS NULL`,
  byChallengeTask: sql`SELECT ${id} FROM ${SETS} WHERE challenge_request_task_id = ${p.int('taskId')} ORDER BY id LIMIT 1`,
  byChallengeTaskProveAt: sql`SELECT ${id} FROM ${SETS}
    WHERE challenge_request_task_id = ${p.int('taskId')} AND prove_at_epoch IS NOT NULL ORDER BY id LIMIT 1`,
  recordChallenge: sql`UPDATE ${SETS} SET challenge_request_msg_hash = ${p.text('msgHash')},
    prev_challenge_request_epoch = ${p.int('prevEpoch')}, prove_at_epoch = ${p.int('proveAtEpoch')} ${byId}`,
  proveCandidates: sql`SELECT ${out.int('id', 'p.id')} FROM ${SETS} p
    JOIN ${table(schema.messageWaitsEth)} mw ON mw.signed_tx_hash = p.challenge_request_msg_hash
    WHERE p.challenge_request_msg_hash IS NOT NULL AND mw.tx_success = ${TRUE} AND p.prove_at_epoch < ${p.int('height')}
    ORDER BY p.id LIMIT ${p.int('limit')}`,
  clearChallengeMsg: sql`UPDATE ${SETS} SET challenge_request_msg_hash = NULL ${byId} AND challenge_request_msg_hash IS NOT NULL`,

  proveInsert: sql`INSERT INTO ${PROVE} (proofset_id, task_id) VALUES (${p.int('proofSetId')}, ${p.int('taskId')})
    ON CONFLICT DO NOTHING`,
  proveByTask: sql`SELECT ${out.int('proofsetId', 'proofset_id')} FROM ${PROVE} WHERE task_id = ${p.int('taskId')}
    ORDER BY proofset_id`,
  proveCount: sql`SELECT ${out.int('n', 'COUNT(*)')} FROM ${PROVE} WHERE proofset_id = ${p.int('proofSetId')}`,
};

type P<K extends keyof typeof S> = Params<(typeof S)[K]>;

const ids = async (rows: Promise<{ id: number }[]>) => (await rows).map((r) => r.id);

export const proofSetCreates = (db: SqlSession) => ({
  insert: async (a: P<'createInsert'>) => void (await db.run(S.createInsert, a)),
  get: (a: P<'createGet'>) => db.get(S.createGet, a),
  /** Confirmed creates not yet materialised, oldest first, with the transaction's receipt. */
  ready: (a: P<'createReady'>) => db.all(S.createReady, a),
  markCreated: async (a: P<'createMarkCreated'>) => (await db.run(S.createMarkCreated, a)) === 1,
});

export const proofSets = (db: SqlSession) => ({
  /** By its on-chain id; false when the id exists. */
  insert: async (a: P<'insert'>) => (await db.run(S.insert, a)) === 1,
  get: (a: P<'get'>) => db.get(S.get, a),
  getByCreateMessageHash: (a: P<'byCreate'>) => db.get(S.byCreate, a),
  list: (a: P<'list'>) => db.all(S.list, a),
  /** Never done by Piri: cascades to prove tasks, roots and root adds. */
  delete: async (a: P<'delete'>) => (await db.run(S.delete, a)) === 1,
  /** Only while no proving period has started. */
  markInitReady: async (a: P<'markInitReady'>) => (await db.run(S.markInitReady, a)) === 1,
  initCandidates: () => ids(db.all(S.initCandidates, {})),
  nextPeriodCandidates: (a: P<'nextPeriodCandidates'>) => ids(db.all(S.nextPeriodCandidates, a)),
  /** Only while none is linked. */
  claimChallengeTask: async (a: P<'claimChallengeTask'>) => (await db.run(S.claimChallengeTask, a)) === 1,
  /** With `requireProveAt`, only once prove_at_epoch is set. */
  byChallengeTask: async ({ requireProveAt, ...a }: P<'byChallengeTask'> & { requireProveAt: boolean }) =>
    (await db.get(requireProveAt ? S.byChallengeTaskProveAt : S.byChallengeTask, a))?.id,
  recordChallengeRequest: async (a: P<'recordChallenge'>) => (await db.run(S.recordChallenge, a)) === 1,
  /** Whose challenge request succeeded and whose prove_at_epoch has passed, in id order. */
  proveCandidates: (a: P<'proveCandidates'>) => ids(db.all(S.proveCandidates, a)),
  clearChallengeMsg: async (a: P<'clearChallengeMsg'>) => (await db.run(S.clearChallengeMsg, a)) === 1,
});

export const proveTasks = (db: SqlSession) => ({
  insert: async (a: P<'proveInsert'>) => (await db.run(S.proveInsert, a)) === 1,
  byTask: async (a: P<'proveByTask'>) => (await db.all(S.proveByTask, a)).map((r) => r.proofsetId),
  countForProofSet: async (a: P<'proveCount'>) => (await db.get(S.proveCount, a))?.n ?? 0,
});
