/**
 * SchedulerSql on PostgreSQL (postgres-js, the installation's one pool shared by the four stores).
 *
 * A transaction is `sql.begin` on one pooled connection; transactions run concurrently, so there is no mutex.
 * Every statement names the store's schema (nothing relies on search_path) and runs as a named prepared
 * statement (`unsafe(text, params, { prepare: true })`; the texts are built once per schema).
 *
 * Values: the pool is also wrapped by drizzle, which turns timestamptz parsing and serialising off for the whole
 * pool. So times go in as ISO text cast to timestamptz, and come out as epoch milliseconds computed by the server
 * (`extract(epoch ...)`), never as driver-parsed values. bigint comes back as text and is converted with Number().
 *
 * Claims select their candidates FOR UPDATE SKIP LOCKED, and the claim itself is conditional on session_id IS
 * NULL, so a task is taken by exactly one engine even when several poll at once.
 *
 * Mirrors src/scheduler/sql/sqlite.ts: same sections, same order.
 */
import postgres, { type Sql, type TransactionSql } from 'postgres';
import type { PostgresStoreConnection } from '../../backend/types.ts';
import { assertNotNested, runInScope, TransactionScope } from './transaction-scope.ts';
import type {
  ClaimCandidate,
  CommpEntry,
  MessageSendLockOps,
  MessageSendOps,
  MessageSendRow,
  MessageWaitOps,
  MessageWaitRow,
  OwnedTask,
  ParkedPieceOps,
  ParkedPieceRefOps,
  ParkedPieceRefRow,
  ParkedPieceRow,
  PieceCommpOps,
  PieceRefOps,
  PieceRefRow,
  PieceUploadOps,
  PieceUploadRow,
  ProofSetCreateOps,
  ProofSetCreateRow,
  ProofSetOps,
  ProofSetRow,
  ProveTaskOps,
  ProviderRegistrationOps,
  ProviderRegistrationRow,
  RailSettlementWaitOps,
  RailSettlementWaitRow,
  RootAddOps,
  RootAddRow,
  RootMessage,
  RootOps,
  RootRow,
  SchedulerErrorKind,
  SchedulerSql,
  SchedulerTx,
  SessionOps,
  SubrootPiece,
  TaskHistoryOps,
  TaskOps,
  WithdrawalWaitOps,
  WithdrawalWaitRow,
} from './types.ts';

type Row = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------------------------
// SQL

const ms = (column: string) => `floor(extract(epoch FROM ${column}) * 1000)::float8`;

const TASK_COLUMNS = `id, name, retries, ${ms('posted_time')} AS posted_ms`;
const SEND_COLUMNS = `send_task_id, from_address, to_address, send_reason, unsigned_tx, unsigned_hash, nonce, signed_tx,
    signed_hash, ${ms('send_time')} AS send_time_ms, send_success, send_error`;
const WAIT_COLUMNS = `waiter_machine_id, signed_tx_hash, confirmed_block_number, confirmed_tx_hash,
    confirmed_tx_data::text AS confirmed_tx_data, tx_status, tx_receipt::text AS tx_receipt, tx_success`;
const CREATE_COLUMNS = `create_message_hash, ok, proofset_created, service, ${ms('created_at')} AS created_ms`;
const PROOF_SET_COLUMNS = `id, prev_challenge_request_epoch, challenge_request_task_id, challenge_request_msg_hash, proving_period,
    challenge_window, prove_at_epoch, init_ready, create_message_hash, service`;
const PARKED_PIECE_COLUMNS = `id, ${ms('created_at')} AS created_ms, piece_cid, piece_padded_size, piece_raw_size, complete, task_id,
    cleanup_task_id, long_term`;
const PARKED_REF_COLUMNS = 'ref_id, piece_id, data_url, data_headers::text AS data_headers, long_term';
const PIECE_REF_COLUMNS = `id, service, piece_cid, piece_ref, ${ms('created_at')} AS created_ms, proofset_refcount`;
const UPLOAD_COLUMNS = `id::text AS id, service, check_hash_codec, check_hash, check_size, piece_cid, notify_url, notify_task_id,
    piece_ref, ${ms('created_at')} AS created_ms`;
const ROOT_COLUMNS = `proofset_id, root_id, subroot_offset, root, add_message_hash, add_message_index, subroot, subroot_offset_val,
    subroot_size, pdp_piece_ref_id`;
const ROOT_ADD_COLUMNS = `proofset_id, add_message_hash, subroot_offset, root, add_message_ok, add_message_index, subroot,
    subroot_size, pdp_piece_ref_id`;
const REGISTRATION_COLUMNS = `register_message_hash, ok, provider_registered, provider_id, service, ${ms('created_at')} AS created_ms`;

/** pg_advisory_xact_lock's first key for parked-piece CIDs (the two-int key space; the second key is hashtext(cid)). */
const PARKED_PIECE_LOCK_CLASS = 0x70_64_70_70; // 'pdpp'

/** Confirmed waits nothing refers to; `w` is message_waits_eth, $1 the send-time cutoff. */
const unreferencedWait = (t: (name: string) => string) => `w.tx_status = 'confirmed'
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proofset_creates')} c WHERE c.create_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proofset_roots')} r WHERE r.add_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proofset_root_adds')} a WHERE a.add_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_provider_registrations')} g WHERE g.register_message_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('pdp_proof_sets')} p WHERE p.challenge_request_msg_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('rail_settlement_waits')} rs WHERE rs.signed_tx_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('withdrawal_waits')} ww WHERE ww.signed_tx_hash = w.signed_tx_hash)
      AND NOT EXISTS (SELECT 1 FROM ${t('message_sends_eth')} s
                      WHERE s.signed_hash = w.signed_tx_hash AND (s.send_time IS NULL OR s.send_time >= $1::timestamptz))`;

function statements(schema: string) {
  const t = (name: string) => `"${schema}"."${name}"`;
  return {
    taskInsert: `INSERT INTO ${t('task')} (initiated_by, update_time, posted_time, session_id, added_by, previous_task, name, retries)
      VALUES (NULL, $1::timestamptz, $1::timestamptz, NULL, $2, NULL, $3, 0) RETURNING id`,
    taskClaimable: `SELECT id, retries, update_time::text AS update_time, ${ms('update_time')} AS update_ms FROM ${t('task')}
      WHERE name = $1 AND session_id IS NULL
      ORDER BY update_time, id LIMIT $2 FOR UPDATE SKIP LOCKED`,
    taskClaimableAfter: `SELECT id, retries, update_time::text AS update_time, ${ms('update_time')} AS update_ms FROM ${t('task')}
      WHERE name = $1 AND session_id IS NULL AND (update_time, id) > ($2::timestamptz, $3::bigint)
      ORDER BY update_time, id LIMIT $4 FOR UPDATE SKIP LOCKED`,
    taskClaim: `UPDATE ${t('task')} SET session_id = $1, update_time = $2::timestamptz
      WHERE id = ANY($3::bigint[]) AND session_id IS NULL
      RETURNING ${TASK_COLUMNS}`,
    taskDeleteOwned: `DELETE FROM ${t('task')} WHERE id = $1 AND session_id = $2`,
    taskDeleteOwnedIfExhausted: `DELETE FROM ${t('task')} WHERE id = $1 AND session_id = $2 AND retries >= $3`,
    taskRelease: `UPDATE ${t('task')} SET session_id = NULL, update_time = $1::timestamptz WHERE id = $2 AND session_id = $3`,
    taskReleaseForRetry: `UPDATE ${t('task')} SET session_id = NULL, retries = retries + 1, update_time = $1::timestamptz
      WHERE id = $2 AND session_id = $3`,
    taskReleaseSession: `UPDATE ${t('task')} SET session_id = NULL WHERE session_id = $1`,
    taskReleaseOrphaned: `UPDATE ${t('task')} AS task SET session_id = NULL
      WHERE session_id IS NOT NULL
        AND NOT EXISTS (SELECT 1 FROM ${t('task_engine_sessions')} s WHERE s.session_id = task.session_id)`,

    historyInsert: `INSERT INTO ${t('task_history')} (task_id, name, posted, work_start, work_end, result, err, completed_by_session_id)
      VALUES ($1, $2, $3::timestamptz, $4::timestamptz, $5::timestamptz, $6, $7, $8)`,
    historyPrune: `DELETE FROM ${t('task_history')} WHERE id IN (
      SELECT id FROM ${t('task_history')} WHERE work_end < $1::timestamptz ORDER BY id LIMIT $2)`,

    sessionInsert: `INSERT INTO ${t('task_engine_sessions')} (session_id, started_at, heartbeat_at)
      VALUES ($1, $2::timestamptz, $2::timestamptz)`,
    sessionBeat: `UPDATE ${t('task_engine_sessions')} SET heartbeat_at = $1::timestamptz WHERE session_id = $2`,
    sessionLapsed: `SELECT session_id, ${ms('heartbeat_at')} AS heartbeat_ms FROM ${t('task_engine_sessions')}
      WHERE heartbeat_at < $1::timestamptz AND session_id <> $2
      ORDER BY heartbeat_at FOR UPDATE SKIP LOCKED`,
    sessionDelete: `DELETE FROM ${t('task_engine_sessions')} WHERE session_id = ANY($1::text[])`,

    sendInsert: `INSERT INTO ${t('message_sends_eth')} (from_address, to_address, send_reason, send_task_id, unsigned_tx, unsigned_hash)
      VALUES ($1, $2, $3, $4, $5, $6)`,
    sendMaxNonce: `SELECT MAX(nonce)::float8 AS nonce FROM ${t('message_sends_eth')} WHERE from_address = $1 AND send_success = true`,
    sendAssignNonce: `UPDATE ${t('message_sends_eth')} SET nonce = $1, signed_tx = $2, signed_hash = $3 WHERE send_task_id = $4`,
    sendRecord: `UPDATE ${t('message_sends_eth')} SET send_success = $1, send_error = $2, send_time = $3::timestamptz
      WHERE send_task_id = $4`,
    sendPrune: `DELETE FROM ${t('message_sends_eth')} WHERE send_task_id IN (
      SELECT m.send_task_id FROM ${t('message_sends_eth')} m
      WHERE m.send_success IS NOT NULL AND m.send_time < $1::timestamptz
        AND NOT EXISTS (SELECT 1 FROM ${t('task')} t WHERE t.id = m.send_task_id)
        AND NOT (m.send_success AND m.nonce IS NOT NULL AND m.nonce = (
          SELECT MAX(k.nonce) FROM ${t('message_sends_eth')} k WHERE k.from_address = m.from_address AND k.send_success))
      ORDER BY m.send_task_id LIMIT $2)`,

    lockAcquire: `INSERT INTO ${t('message_send_eth_locks')} AS l (from_address, task_id, claimed_at) VALUES ($1, $2, $3::timestamptz)
      ON CONFLICT (from_address) DO UPDATE SET task_id = excluded.task_id, claimed_at = excluded.claimed_at
      WHERE l.task_id = excluded.task_id`,
    lockRelease: `DELETE FROM ${t('message_send_eth_locks')} WHERE from_address = $1 AND task_id = $2`,
    sendGet: `SELECT ${SEND_COLUMNS}, EXISTS (SELECT 1 FROM ${t('task')} t WHERE t.id = m.send_task_id) AS task_present
      FROM ${t('message_sends_eth')} m WHERE send_task_id = $1`,
    lockHolder: `SELECT task_id, ${ms('claimed_at')} AS claimed_ms FROM ${t('message_send_eth_locks')} WHERE from_address = $1`,
    // FOR UPDATE: a concurrent takeover or release waits for us (or we for it, and then see its result).
    lockStaleHolder: `SELECT task_id FROM ${t('message_send_eth_locks')} l
      WHERE from_address = $1 AND task_id <> $2 AND NOT EXISTS (SELECT 1 FROM ${t('task')} t WHERE t.id = l.task_id)
      FOR UPDATE OF l`,
    lockTakeOver: `UPDATE ${t('message_send_eth_locks')} SET task_id = $1, claimed_at = $2::timestamptz
      WHERE from_address = $3 AND task_id = $4`,

    // Two statements: lock the candidates first, then delete them re-checking the references in a fresh snapshot
    // (READ COMMITTED: each statement sees what committed before it). A transaction adding a reference takes
    // KEY SHARE on the wait row, so it either committed before our lock (and the re-check sees it) or waits for us.
    waitPruneCandidates: `SELECT w.signed_tx_hash FROM ${t('message_waits_eth')} w
      WHERE ${unreferencedWait(t)}
      ORDER BY w.signed_tx_hash LIMIT $2 FOR UPDATE OF w SKIP LOCKED`,
    waitPruneDelete: `DELETE FROM ${t('message_waits_eth')} w
      WHERE w.signed_tx_hash = ANY($2::text[]) AND ${unreferencedWait(t)}`,
    waitInsertPending: `INSERT INTO ${t('message_waits_eth')} (signed_tx_hash, tx_status, confirmed_tx_hash) VALUES ($1, 'pending', '')`,
    waitInsertPendingIgnore: `INSERT INTO ${t('message_waits_eth')} (signed_tx_hash, tx_status, confirmed_tx_hash) VALUES ($1, 'pending', '')
      ON CONFLICT (signed_tx_hash) DO NOTHING`,
    waitMarkWatched: `UPDATE ${t('message_waits_eth')} SET waiter_machine_id = 1 WHERE waiter_machine_id IS NULL AND tx_status = 'pending'`,
    waitWatched: `SELECT signed_tx_hash FROM ${t('message_waits_eth')} WHERE waiter_machine_id = 1 AND tx_status = 'pending'
      ORDER BY signed_tx_hash LIMIT $1`,
    waitConfirm: `UPDATE ${t('message_waits_eth')} SET confirmed_block_number = $1, confirmed_tx_hash = $2,
      confirmed_tx_data = $3::text::jsonb, tx_status = 'confirmed', tx_receipt = $4::text::jsonb, tx_success = $5
      WHERE signed_tx_hash = $6 AND tx_status = 'pending'`,
    waitConfirmSuccessful: `UPDATE ${t('message_waits_eth')} SET tx_status = 'confirmed', tx_success = true
      WHERE signed_tx_hash = $1 AND tx_status = 'pending'`,
    waitGet: `SELECT ${WAIT_COLUMNS} FROM ${t('message_waits_eth')} WHERE signed_tx_hash = $1`,
    waitDelete: `DELETE FROM ${t('message_waits_eth')} WHERE signed_tx_hash = $1`,

    createInsert: `INSERT INTO ${t('pdp_proofset_creates')} (create_message_hash, ok, proofset_created, service, created_at)
      VALUES ($1, NULL, false, $2, $3::timestamptz)`,
    createGet: `SELECT ${CREATE_COLUMNS} FROM ${t('pdp_proofset_creates')} WHERE create_message_hash = $1`,
    createReady: `SELECT c.create_message_hash, c.ok, c.proofset_created, c.service, ${ms('c.created_at')} AS created_ms,
      w.tx_receipt::text AS tx_receipt
      FROM ${t('pdp_proofset_creates')} c LEFT JOIN ${t('message_waits_eth')} w ON w.signed_tx_hash = c.create_message_hash
      WHERE c.ok = true AND c.proofset_created = false
      ORDER BY c.created_at, c.create_message_hash LIMIT $1`,
    createMarkCreated: `UPDATE ${t('pdp_proofset_creates')} SET proofset_created = true
      WHERE create_message_hash = $1 AND proofset_created = false`,

    proofSetInsert: `INSERT INTO ${t('pdp_proof_sets')} (id, create_message_hash, service, proving_period, challenge_window, init_ready)
      VALUES ($1, $2, $3, $4, $5, false) ON CONFLICT (id) DO NOTHING`,
    proofSetGet: `SELECT ${PROOF_SET_COLUMNS} FROM ${t('pdp_proof_sets')} WHERE id = $1`,
    proofSetByCreate: `SELECT ${PROOF_SET_COLUMNS} FROM ${t('pdp_proof_sets')} WHERE create_message_hash = $1 ORDER BY id LIMIT 1`,
    proofSetList: `SELECT ${PROOF_SET_COLUMNS} FROM ${t('pdp_proof_sets')} WHERE service = $1 ORDER BY id`,
    proofSetDelete: `DELETE FROM ${t('pdp_proof_sets')} WHERE id = $1`,
    proofSetMarkInitReady: `UPDATE ${t('pdp_proof_sets')} SET init_ready = true
      WHERE id = $1 AND prev_challenge_request_epoch IS NULL AND challenge_request_msg_hash IS NULL AND prove_at_epoch IS NULL`,
    proofSetInitCandidates: `SELECT id FROM ${t('pdp_proof_sets')}
      WHERE challenge_request_task_id IS NULL AND init_ready = true AND prove_at_epoch IS NULL ORDER BY id`,
    proofSetNextPeriodCandidates: `SELECT id FROM ${t('pdp_proof_sets')}
      WHERE challenge_request_task_id IS NULL AND (prove_at_epoch + challenge_window) <= $1 ORDER BY id`,
    proofSetClaimChallengeTask: `UPDATE ${t('pdp_proof_sets')} SET challenge_request_task_id = $1
      WHERE id = $2 AND challenge_request_task_id IS NULL`,
    proofSetByChallengeTask: `SELECT id FROM ${t('pdp_proof_sets')} WHERE challenge_request_task_id = $1 ORDER BY id LIMIT 1`,
    proofSetByChallengeTaskProveAt: `SELECT id FROM ${t('pdp_proof_sets')}
      WHERE challenge_request_task_id = $1 AND prove_at_epoch IS NOT NULL ORDER BY id LIMIT 1`,
    proofSetRecordChallenge: `UPDATE ${t('pdp_proof_sets')} SET challenge_request_msg_hash = $1, prev_challenge_request_epoch = $2,
      prove_at_epoch = $3 WHERE id = $4`,
    proofSetProveCandidates: `SELECT p.id FROM ${t('pdp_proof_sets')} p
      JOIN ${t('message_waits_eth')} mw ON mw.signed_tx_hash = p.challenge_request_msg_hash
      WHERE p.challenge_request_msg_hash IS NOT NULL AND mw.tx_success = true AND p.prove_at_epoch < $1
      ORDER BY p.id LIMIT $2`,
    proofSetClearChallengeMsg: `UPDATE ${t('pdp_proof_sets')} SET challenge_request_msg_hash = NULL
      WHERE id = $1 AND challenge_request_msg_hash IS NOT NULL`,

    proveTaskInsert: `INSERT INTO ${t('pdp_prove_tasks')} (proofset_id, task_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
    proveTaskByTask: `SELECT proofset_id FROM ${t('pdp_prove_tasks')} WHERE task_id = $1 ORDER BY proofset_id`,
    proveTaskCount: `SELECT COUNT(*)::float8 AS n FROM ${t('pdp_prove_tasks')} WHERE proofset_id = $1`,

    commpGet: `SELECT mhash, size, commp FROM ${t('pdp_piece_mh_to_commp')} WHERE mhash = $1`,
    commpByCommp: `SELECT mhash, size, commp FROM ${t('pdp_piece_mh_to_commp')} WHERE commp = $1 ORDER BY mhash LIMIT 1`,
    commpPut: `INSERT INTO ${t('pdp_piece_mh_to_commp')} (mhash, size, commp) VALUES ($1, $2, $3) ON CONFLICT (mhash) DO NOTHING`,

    parkedLockPieceCid: `SELECT pg_advisory_xact_lock(${PARKED_PIECE_LOCK_CLASS}, hashtext($1))::text AS locked`,
    parkedFindReusable: `SELECT ${PARKED_PIECE_COLUMNS} FROM ${t('parked_pieces')}
      WHERE piece_cid = $1 AND piece_padded_size = $2 AND long_term = $3 AND cleanup_task_id IS NULL
      ORDER BY id LIMIT 1`,
    parkedInsert: `INSERT INTO ${t('parked_pieces')} (created_at, piece_cid, piece_padded_size, piece_raw_size, complete, task_id,
      cleanup_task_id, long_term) VALUES ($1::timestamptz, $2, $3, $4, $5, NULL, NULL, $6) RETURNING id`,
    parkedMarkComplete: `UPDATE ${t('parked_pieces')} SET complete = true WHERE id = $1 AND complete = false`,
    parkedGet: `SELECT ${PARKED_PIECE_COLUMNS} FROM ${t('parked_pieces')} WHERE id = $1`,
    parkedDelete: `DELETE FROM ${t('parked_pieces')} WHERE id = $1`,

    parkedRefFind: `SELECT ${PARKED_REF_COLUMNS} FROM ${t('parked_piece_refs')}
      WHERE piece_id = $1 AND data_url = $2 AND long_term = $3 ORDER BY ref_id LIMIT 1`,
    parkedRefInsert: `INSERT INTO ${t('parked_piece_refs')} (piece_id, data_url, data_headers, long_term)
      VALUES ($1, $2, $3::text::jsonb, $4) RETURNING ref_id`,
    parkedRefGet: `SELECT ${PARKED_REF_COLUMNS} FROM ${t('parked_piece_refs')} WHERE ref_id = $1`,
    parkedRefDelete: `DELETE FROM ${t('parked_piece_refs')} WHERE ref_id = $1`,
    parkedRefDeleteReleased: `DELETE FROM ${t('parked_piece_refs')} r
      WHERE r.ref_id = (SELECT piece_ref FROM ${t('pdp_piecerefs')} WHERE id = $1)
        AND NOT EXISTS (SELECT 1 FROM ${t('pdp_piecerefs')} q WHERE q.piece_ref = r.ref_id
          AND (q.proofset_refcount > 0 OR EXISTS (SELECT 1 FROM ${t('pdp_proofset_root_adds')} a WHERE a.pdp_piece_ref_id = q.id)))
      RETURNING r.ref_id`,

    pieceRefFind: `SELECT ${PIECE_REF_COLUMNS} FROM ${t('pdp_piecerefs')}
      WHERE service = $1 AND piece_cid = $2 AND piece_ref = $3 ORDER BY id LIMIT 1`,
    pieceRefInsert: `INSERT INTO ${t('pdp_piecerefs')} (service, piece_cid, piece_ref, created_at, proofset_refcount)
      VALUES ($1, $2, $3, $4::timestamptz, 0) RETURNING id`,
    pieceRefGet: `SELECT ${PIECE_REF_COLUMNS} FROM ${t('pdp_piecerefs')} WHERE id = $1`,
    pieceRefSubrootPieces: `SELECT ppr.piece_cid, ppr.id AS pdp_piece_ref_id, ppr.piece_ref, pp.piece_padded_size, pp.piece_raw_size
      FROM ${t('pdp_piecerefs')} ppr
      JOIN ${t('parked_piece_refs')} pprf ON pprf.ref_id = ppr.piece_ref
      JOIN ${t('parked_pieces')} pp ON pp.id = pprf.piece_id
      WHERE ppr.service = $1 AND ppr.piece_cid = ANY($2::text[])
      ORDER BY ppr.piece_cid, ppr.id`,

    uploadInsert: `INSERT INTO ${t('pdp_piece_uploads')} (id, service, check_hash_codec, check_hash, check_size, piece_cid, notify_url,
      notify_task_id, piece_ref, created_at) VALUES ($1::uuid, $2, $3, $4, $5, NULL, $6, NULL, NULL, $7::timestamptz)`,
    uploadGet: `SELECT ${UPLOAD_COLUMNS} FROM ${t('pdp_piece_uploads')} WHERE id = $1::uuid`,
    uploadDelete: `DELETE FROM ${t('pdp_piece_uploads')} WHERE id = $1::uuid`,

    rootExisting: `SELECT DISTINCT root, add_message_hash FROM ${t('pdp_proofset_roots')}
      WHERE proofset_id = $1 AND root = ANY($2::text[]) ORDER BY root, add_message_hash`,
    rootInsert: `INSERT INTO ${t('pdp_proofset_roots')} (${ROOT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8, $9)
      ON CONFLICT DO NOTHING`,
    rootList: `SELECT ${ROOT_COLUMNS} FROM ${t('pdp_proofset_roots')} WHERE proofset_id = $1 ORDER BY root_id, subroot_offset`,
    rootByRootId: `SELECT ${ROOT_COLUMNS} FROM ${t('pdp_proofset_roots')} WHERE proofset_id = $1 AND root_id = $2
      ORDER BY subroot_offset`,
    rootDeleteRoot: `DELETE FROM ${t('pdp_proofset_roots')} WHERE proofset_id = $1 AND root_id = $2`,

    rootAddPending: `SELECT DISTINCT root, add_message_hash FROM ${t('pdp_proofset_root_adds')}
      WHERE proofset_id = $1 AND root = ANY($2::text[]) AND add_message_ok IS NOT false
      ORDER BY root, add_message_hash`,
    rootAddInsert: `INSERT INTO ${t('pdp_proofset_root_adds')} (${ROOT_ADD_COLUMNS}) VALUES ($1, $2, $3, $4, NULL, $5, $6, $7, $8)`,
    rootAddReady: `SELECT r.proofset_id, r.add_message_hash, w.tx_receipt::text AS tx_receipt
      FROM (SELECT DISTINCT proofset_id, add_message_hash FROM ${t('pdp_proofset_root_adds')}
            WHERE add_message_ok = true AND add_message_hash IS NOT NULL) r
      LEFT JOIN ${t('message_waits_eth')} w ON w.signed_tx_hash = r.add_message_hash
      ORDER BY r.proofset_id, r.add_message_hash LIMIT $1`,
    rootAddConfirmedForMessage: `SELECT ${ROOT_ADD_COLUMNS} FROM ${t('pdp_proofset_root_adds')}
      WHERE proofset_id = $1 AND add_message_hash = $2 AND add_message_ok = true
      ORDER BY add_message_index, subroot_offset FOR UPDATE`,
    rootAddForRoot: `SELECT ${ROOT_ADD_COLUMNS} FROM ${t('pdp_proofset_root_adds')}
      WHERE proofset_id = $1 AND root = $2 ORDER BY add_message_index, subroot_offset`,
    rootAddDeleteForMessage: `DELETE FROM ${t('pdp_proofset_root_adds')} WHERE proofset_id = $1 AND add_message_hash = $2`,
    rootAddDeleteForRoot: `DELETE FROM ${t('pdp_proofset_root_adds')} WHERE proofset_id = $1 AND root = $2`,
    rootAddDeleteFailed: `DELETE FROM ${t('pdp_proofset_root_adds')}
      WHERE add_message_ok = false AND ($1::bigint IS NULL OR proofset_id = $1::bigint)
        AND ($2::text[] IS NULL OR root = ANY($2::text[]))`,

    registrationInProgress: `SELECT ${REGISTRATION_COLUMNS} FROM ${t('pdp_provider_registrations')}
      WHERE service = $1 AND provider_registered = false AND (ok IS NULL OR ok = true)
      ORDER BY created_at, register_message_hash LIMIT 1`,
    registrationInsert: `INSERT INTO ${t('pdp_provider_registrations')} (register_message_hash, ok, provider_registered, provider_id,
      service, created_at) VALUES ($1, NULL, false, NULL, $2, $3::timestamptz)`,
    registrationApplyConfirmation: `UPDATE ${t('pdp_provider_registrations')}
      SET ok = CASE WHEN $1::boolean = false THEN false WHEN $1::boolean = true THEN true ELSE ok END
      WHERE register_message_hash = $2 AND provider_registered = false`,
    registrationReady: `SELECT ${REGISTRATION_COLUMNS} FROM ${t('pdp_provider_registrations')}
      WHERE ok = true AND provider_registered = false ORDER BY created_at, register_message_hash LIMIT $1`,
    registrationMarkRegistered: `UPDATE ${t('pdp_provider_registrations')} SET provider_registered = true, provider_id = $1
      WHERE register_message_hash = $2 AND provider_registered = false`,
    registrationGet: `SELECT ${REGISTRATION_COLUMNS} FROM ${t('pdp_provider_registrations')} WHERE register_message_hash = $1`,

    railGet: `SELECT rail_id, signed_tx_hash, ${ms('created_at')} AS created_ms FROM ${t('rail_settlement_waits')} WHERE rail_id = $1`,
    railUpsert: `INSERT INTO ${t('rail_settlement_waits')} (rail_id, signed_tx_hash, created_at) VALUES ($1, $2, $3::timestamptz)
      ON CONFLICT (rail_id) DO UPDATE SET signed_tx_hash = excluded.signed_tx_hash, created_at = excluded.created_at`,
    railDelete: `DELETE FROM ${t('rail_settlement_waits')} WHERE rail_id = $1`,

    withdrawalLatest: `SELECT id, signed_tx_hash, ${ms('created_at')} AS created_ms FROM ${t('withdrawal_waits')}
      ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 1`,
    withdrawalInsert: `INSERT INTO ${t('withdrawal_waits')} (signed_tx_hash, created_at) VALUES ($1, $2::timestamptz) RETURNING id`,
    withdrawalDelete: `DELETE FROM ${t('withdrawal_waits')} WHERE id = $1`,
  } as const;
}

type Statements = ReturnType<typeof statements>;

// ---------------------------------------------------------------------------------------------------------------
// SchedulerSql

export class PostgresSchedulerSql implements SchedulerSql {
  readonly #sql: Sql;
  readonly #q: Statements;

  constructor(connection: PostgresStoreConnection) {
    this.#sql = connection.client;
    this.#q = statements(connection.schema);
  }

  async transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T> {
    assertNotNested(this.#sql);
    const result = await this.#sql.begin(async (tsql) => {
      const scope = new TransactionScope(this.#sql);
      try {
        // Boxed: sql.begin would await a returned array of queries; ours is a plain value.
        return { value: await runInScope(scope, () => fn(this.#tx(tsql, scope))) };
      } finally {
        scope.close();
      }
    });
    return (result as { value: T }).value;
  }

  classifyError(error: unknown): SchedulerErrorKind {
    for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
      if (!(e instanceof postgres.PostgresError)) continue;
      const code = e.code;
      if (code === '40001' || code === '40P01' || code === '55P03') return 'lock';
      if (code === '23505') return 'unique';
      return 'other';
    }
    return 'other';
  }

  #tx(tsql: TransactionSql, scope: TransactionScope): SchedulerTx {
    const query = async (text: string, params: unknown[]): Promise<postgres.RowList<Row[]>> => {
      scope.assertOpen();
      return tsql.unsafe<Row[]>(text, params as postgres.ParameterOrJSON<never>[], { prepare: true });
    };
    const q = this.#q;
    return {
      tasks: tasks(query, q),
      taskHistory: taskHistory(query, q),
      sessions: sessions(query, q),
      messageSends: messageSends(query, q),
      messageSendLocks: messageSendLocks(query, q),
      messageWaits: messageWaits(query, q),
      proofSetCreates: proofSetCreates(query, q),
      proofSets: proofSets(query, q),
      proveTasks: proveTasks(query, q),
      pieceCommps: pieceCommps(query, q),
      parkedPieces: parkedPieces(query, q),
      parkedPieceRefs: parkedPieceRefs(query, q),
      pieceRefs: pieceRefs(query, q),
      pieceUploads: pieceUploads(query, q),
      roots: roots(query, q),
      rootAdds: rootAdds(query, q),
      providerRegistrations: providerRegistrations(query, q),
      railSettlementWaits: railSettlementWaits(query, q),
      withdrawalWaits: withdrawalWaits(query, q),
    };
  }
}

type Query = (text: string, params: unknown[]) => Promise<postgres.RowList<Row[]>>;

// ---------------------------------------------------------------------------------------------------------------
// task

function tasks(query: Query, q: Statements): TaskOps {
  return {
    insert: async ({ name, addedBy, nowMs }) => {
      const [row] = await query(q.taskInsert, [toDb(nowMs), addedBy, name]);
      return Number(row!.id);
    },
    claimable: async ({ name, limit, after }) => {
      const rows = after
        ? await query(q.taskClaimableAfter, [name, after.updateTime, after.id, limit])
        : await query(q.taskClaimable, [name, limit]);
      return rows.map(
        (r): ClaimCandidate => ({
          id: Number(r.id),
          retries: Number(r.retries),
          updateTimeMs: Number(r.update_ms),
          cursor: { updateTime: r.update_time as string, id: Number(r.id) },
        }),
      );
    },
    claim: async ({ ids, sessionId, nowMs }) => {
      if (ids.length === 0) return [];
      const rows = await query(q.taskClaim, [sessionId, toDb(nowMs), ids]);
      const order = new Map(ids.map((id, i) => [id, i]));
      return rows.map(ownedTask).sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    },
    deleteOwned: async ({ id, sessionId }) => (await query(q.taskDeleteOwned, [id, sessionId])).count === 1,
    deleteOwnedIfExhausted: async ({ id, sessionId, maxFailures }) =>
      (await query(q.taskDeleteOwnedIfExhausted, [id, sessionId, maxFailures])).count === 1,
    release: async ({ id, sessionId, nowMs }) => (await query(q.taskRelease, [toDb(nowMs), id, sessionId])).count === 1,
    releaseForRetry: async ({ id, sessionId, nowMs }) =>
      (await query(q.taskReleaseForRetry, [toDb(nowMs), id, sessionId])).count === 1,
    releaseSession: async ({ sessionId }) => (await query(q.taskReleaseSession, [sessionId])).count,
    releaseOrphaned: async () => (await query(q.taskReleaseOrphaned, [])).count,
  };
}

function ownedTask(row: Row): OwnedTask {
  return {
    id: Number(row.id),
    name: row.name as string,
    retries: Number(row.retries),
    postedMs: Number(row.posted_ms),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// task_history

function taskHistory(query: Query, q: Statements): TaskHistoryOps {
  return {
    insert: async (h) => {
      await query(q.historyInsert, [
        h.taskId,
        h.name,
        toDb(h.postedMs),
        toDb(h.workStartMs),
        toDb(h.workEndMs),
        h.result,
        h.err,
        h.completedBySessionId,
      ]);
    },
    pruneBefore: async ({ cutoffMs, limit }) => (await query(q.historyPrune, [toDb(cutoffMs), limit])).count,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// task_engine_sessions

function sessions(query: Query, q: Statements): SessionOps {
  return {
    insert: async ({ sessionId, nowMs }) => {
      await query(q.sessionInsert, [sessionId, toDb(nowMs)]);
    },
    beat: async ({ sessionId, nowMs }) => (await query(q.sessionBeat, [toDb(nowMs), sessionId])).count === 1,
    lapsed: async ({ cutoffMs, exceptSessionId }) =>
      (await query(q.sessionLapsed, [toDb(cutoffMs), exceptSessionId])).map((r) => ({
        sessionId: r.session_id as string,
        heartbeatMs: Number(r.heartbeat_ms),
      })),
    delete: async ({ sessionIds }) =>
      sessionIds.length === 0 ? 0 : (await query(q.sessionDelete, [sessionIds])).count,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// message_sends_eth, message_send_eth_locks

function messageSends(query: Query, q: Statements): MessageSendOps {
  return {
    insert: async (m) => {
      await query(q.sendInsert, [m.fromAddress, m.toAddress, m.sendReason, m.taskId, Buffer.from(m.unsignedTx), m.unsignedHash]);
    },
    maxSentNonce: async ({ fromAddress }) => {
      const [row] = await query(q.sendMaxNonce, [fromAddress]);
      return row?.nonce === null || row?.nonce === undefined ? undefined : Number(row.nonce);
    },
    assignNonce: async ({ taskId, nonce, signedTx, signedHash }) =>
      (await query(q.sendAssignNonce, [nonce, Buffer.from(signedTx), signedHash, taskId])).count === 1,
    recordSend: async ({ taskId, success, error, nowMs }) =>
      (await query(q.sendRecord, [success, error, toDb(nowMs), taskId])).count === 1,
    pruneFinished: async ({ cutoffMs, limit }) => (await query(q.sendPrune, [toDb(cutoffMs), limit])).count,
    get: async ({ taskId }) => {
      const [row] = await query(q.sendGet, [taskId]);
      return row && messageSendRow(row);
    },
  };
}

function messageSendRow(r: Row): MessageSendRow {
  return {
    taskId: Number(r.send_task_id),
    fromAddress: r.from_address as string,
    toAddress: r.to_address as string,
    sendReason: r.send_reason as string,
    unsignedTx: r.unsigned_tx as Uint8Array,
    unsignedHash: r.unsigned_hash as string,
    nonce: int(r.nonce),
    signedTx: (r.signed_tx ?? null) as Uint8Array | null,
    signedHash: (r.signed_hash ?? null) as string | null,
    sendTimeMs: int(r.send_time_ms),
    sendSuccess: bool(r.send_success),
    sendError: (r.send_error ?? null) as string | null,
    taskPresent: r.task_present === true,
  };
}

function messageSendLocks(query: Query, q: Statements): MessageSendLockOps {
  return {
    acquire: async ({ fromAddress, taskId, nowMs }) =>
      (await query(q.lockAcquire, [fromAddress, taskId, toDb(nowMs)])).count === 1,
    release: async ({ fromAddress, taskId }) => (await query(q.lockRelease, [fromAddress, taskId])).count === 1,
    holder: async ({ fromAddress }) => {
      const [row] = await query(q.lockHolder, [fromAddress]);
      return row && { taskId: Number(row.task_id), claimedAtMs: Number(row.claimed_ms) };
    },
    takeOverStale: async ({ fromAddress, taskId, nowMs }) => {
      const [stale] = await query(q.lockStaleHolder, [fromAddress, taskId]);
      if (!stale) return undefined;
      const previous = Number(stale.task_id);
      return (await query(q.lockTakeOver, [taskId, toDb(nowMs), fromAddress, previous])).count === 1 ? previous : undefined;
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// message_waits_eth

function messageWaits(query: Query, q: Statements): MessageWaitOps {
  return {
    pruneConfirmed: async ({ cutoffMs, limit }) => {
      const cutoff = toDb(cutoffMs);
      const candidates = await query(q.waitPruneCandidates, [cutoff, limit]);
      if (candidates.length === 0) return 0;
      const hashes = candidates.map((r) => r.signed_tx_hash as string);
      return (await query(q.waitPruneDelete, [cutoff, hashes])).count;
    },
    insertPending: async ({ signedTxHash, ignoreExisting }) =>
      (await query(ignoreExisting ? q.waitInsertPendingIgnore : q.waitInsertPending, [signedTxHash])).count === 1,
    markWatched: async () => (await query(q.waitMarkWatched, [])).count,
    watched: async ({ limit }) => (await query(q.waitWatched, [limit])).map((r) => r.signed_tx_hash as string),
    confirm: async (c) =>
      (
        await query(q.waitConfirm, [
          c.blockNumber,
          c.txHash,
          toJson(c.txData),
          toJson(c.receipt),
          c.success,
          c.signedTxHash,
        ])
      ).count === 1,
    confirmSuccessful: async ({ signedTxHash }) => (await query(q.waitConfirmSuccessful, [signedTxHash])).count === 1,
    get: async ({ signedTxHash }) => {
      const [row] = await query(q.waitGet, [signedTxHash]);
      return row && messageWaitRow(row);
    },
    delete: async ({ signedTxHash }) => (await query(q.waitDelete, [signedTxHash])).count === 1,
  };
}

function messageWaitRow(r: Row): MessageWaitRow {
  return {
    signedTxHash: r.signed_tx_hash as string,
    waiterMachineId: int(r.waiter_machine_id),
    confirmedBlockNumber: int(r.confirmed_block_number),
    confirmedTxHash: (r.confirmed_tx_hash ?? null) as string | null,
    confirmedTxData: fromJson(r.confirmed_tx_data),
    txStatus: (r.tx_status ?? null) as string | null,
    txReceipt: fromJson(r.tx_receipt),
    txSuccess: bool(r.tx_success),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_proofset_creates, pdp_proof_sets, pdp_prove_tasks

function proofSetCreates(query: Query, q: Statements): ProofSetCreateOps {
  return {
    insert: async ({ createMessageHash, service, nowMs }) => {
      await query(q.createInsert, [createMessageHash, service, toDb(nowMs)]);
    },
    get: async ({ createMessageHash }) => {
      const [row] = await query(q.createGet, [createMessageHash]);
      return row && proofSetCreateRow(row);
    },
    ready: async ({ limit }) =>
      (await query(q.createReady, [limit])).map((r) => ({ ...proofSetCreateRow(r), txReceipt: fromJson(r.tx_receipt) })),
    markCreated: async ({ createMessageHash }) => (await query(q.createMarkCreated, [createMessageHash])).count === 1,
  };
}

function proofSetCreateRow(r: Row): ProofSetCreateRow {
  return {
    createMessageHash: r.create_message_hash as string,
    ok: bool(r.ok),
    proofsetCreated: bool(r.proofset_created) === true,
    service: r.service as string,
    createdAtMs: Number(r.created_ms),
  };
}

function proofSets(query: Query, q: Statements): ProofSetOps {
  const one = async (text: string, params: unknown[]) => {
    const [row] = await query(text, params);
    return row && proofSetRow(row);
  };
  const ids = async (text: string, params: unknown[]) => (await query(text, params)).map((r) => Number(r.id));
  return {
    insert: async (p) =>
      (await query(q.proofSetInsert, [p.id, p.createMessageHash, p.service, p.provingPeriod, p.challengeWindow])).count === 1,
    get: ({ id }) => one(q.proofSetGet, [id]),
    getByCreateMessageHash: ({ createMessageHash }) => one(q.proofSetByCreate, [createMessageHash]),
    list: async ({ service }) => (await query(q.proofSetList, [service])).map(proofSetRow),
    delete: async ({ id }) => (await query(q.proofSetDelete, [id])).count === 1,
    markInitReady: async ({ id }) => (await query(q.proofSetMarkInitReady, [id])).count === 1,
    initCandidates: () => ids(q.proofSetInitCandidates, []),
    nextPeriodCandidates: ({ height }) => ids(q.proofSetNextPeriodCandidates, [height]),
    claimChallengeTask: async ({ id, taskId }) => (await query(q.proofSetClaimChallengeTask, [taskId, id])).count === 1,
    byChallengeTask: async ({ taskId, requireProveAt }) =>
      (await ids(requireProveAt ? q.proofSetByChallengeTaskProveAt : q.proofSetByChallengeTask, [taskId]))[0],
    recordChallengeRequest: async ({ id, msgHash, prevEpoch, proveAtEpoch }) =>
      (await query(q.proofSetRecordChallenge, [msgHash, prevEpoch, proveAtEpoch, id])).count === 1,
    proveCandidates: ({ height, limit }) => ids(q.proofSetProveCandidates, [height, limit]),
    clearChallengeMsg: async ({ id }) => (await query(q.proofSetClearChallengeMsg, [id])).count === 1,
  };
}

function proofSetRow(r: Row): ProofSetRow {
  return {
    id: Number(r.id),
    prevChallengeRequestEpoch: int(r.prev_challenge_request_epoch),
    challengeRequestTaskId: int(r.challenge_request_task_id),
    challengeRequestMsgHash: (r.challenge_request_msg_hash ?? null) as string | null,
    provingPeriod: int(r.proving_period),
    challengeWindow: int(r.challenge_window),
    proveAtEpoch: int(r.prove_at_epoch),
    initReady: bool(r.init_ready) === true,
    createMessageHash: r.create_message_hash as string,
    service: r.service as string,
  };
}

function proveTasks(query: Query, q: Statements): ProveTaskOps {
  return {
    insert: async ({ proofSetId, taskId }) => (await query(q.proveTaskInsert, [proofSetId, taskId])).count === 1,
    byTask: async ({ taskId }) => (await query(q.proveTaskByTask, [taskId])).map((r) => Number(r.proofset_id)),
    countForProofSet: async ({ proofSetId }) => Number((await query(q.proveTaskCount, [proofSetId]))[0]!.n),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_piece_mh_to_commp, parked_pieces, parked_piece_refs, pdp_piecerefs, pdp_piece_uploads

function pieceCommps(query: Query, q: Statements): PieceCommpOps {
  const one = async (text: string, param: unknown) => {
    const [row] = await query(text, [param]);
    return row && commpEntry(row);
  };
  return {
    get: ({ mhash }) => one(q.commpGet, Buffer.from(mhash)),
    byCommp: ({ commp }) => one(q.commpByCommp, commp),
    put: async ({ mhash, size, commp }) => (await query(q.commpPut, [Buffer.from(mhash), size, commp])).count === 1,
  };
}

function commpEntry(r: Row): CommpEntry {
  return { mhash: r.mhash as Uint8Array, size: Number(r.size), commp: r.commp as string };
}

function parkedPieces(query: Query, q: Statements): ParkedPieceOps {
  const one = async (text: string, params: unknown[]) => {
    const [row] = await query(text, params);
    return row && parkedPieceRow(row);
  };
  return {
    lockPieceCid: async ({ pieceCid }) => {
      await query(q.parkedLockPieceCid, [pieceCid]);
    },
    findReusable: ({ pieceCid, paddedSize, longTerm }) => one(q.parkedFindReusable, [pieceCid, paddedSize, longTerm]),
    insert: async (p) => {
      const [row] = await query(q.parkedInsert, [toDb(p.nowMs), p.pieceCid, p.paddedSize, p.rawSize, p.complete, p.longTerm]);
      return Number(row!.id);
    },
    markComplete: async ({ id }) => (await query(q.parkedMarkComplete, [id])).count === 1,
    get: ({ id }) => one(q.parkedGet, [id]),
    delete: async ({ id }) => (await query(q.parkedDelete, [id])).count === 1,
  };
}

function parkedPieceRow(r: Row): ParkedPieceRow {
  return {
    id: Number(r.id),
    createdAtMs: int(r.created_ms),
    pieceCid: r.piece_cid as string,
    paddedSize: Number(r.piece_padded_size),
    rawSize: Number(r.piece_raw_size),
    complete: bool(r.complete) === true,
    taskId: int(r.task_id),
    cleanupTaskId: int(r.cleanup_task_id),
    longTerm: bool(r.long_term) === true,
  };
}

function parkedPieceRefs(query: Query, q: Statements): ParkedPieceRefOps {
  const one = async (text: string, params: unknown[]) => {
    const [row] = await query(text, params);
    return row && parkedPieceRefRow(row);
  };
  return {
    find: ({ pieceId, dataUrl, longTerm }) => one(q.parkedRefFind, [pieceId, dataUrl, longTerm]),
    insert: async ({ pieceId, dataUrl, dataHeaders, longTerm }) => {
      const [row] = await query(q.parkedRefInsert, [pieceId, dataUrl, toJson(dataHeaders) ?? '{}', longTerm]);
      return Number(row!.ref_id);
    },
    get: ({ refId }) => one(q.parkedRefGet, [refId]),
    delete: async ({ refId }) => (await query(q.parkedRefDelete, [refId])).count === 1,
    deleteReleasedByPieceRef: async ({ pdpPieceRefId }) =>
      (await query(q.parkedRefDeleteReleased, [pdpPieceRefId])).map((r) => Number(r.ref_id)),
  };
}

function parkedPieceRefRow(r: Row): ParkedPieceRefRow {
  return {
    refId: Number(r.ref_id),
    pieceId: Number(r.piece_id),
    dataUrl: (r.data_url ?? null) as string | null,
    dataHeaders: fromJson(r.data_headers),
    longTerm: bool(r.long_term) === true,
  };
}

function pieceRefs(query: Query, q: Statements): PieceRefOps {
  const one = async (text: string, params: unknown[]) => {
    const [row] = await query(text, params);
    return row && pieceRefRow(row);
  };
  return {
    find: ({ service, pieceCid, pieceRef }) => one(q.pieceRefFind, [service, pieceCid, pieceRef]),
    insert: async ({ service, pieceCid, pieceRef, nowMs }) => {
      const [row] = await query(q.pieceRefInsert, [service, pieceCid, pieceRef, toDb(nowMs)]);
      return Number(row!.id);
    },
    get: ({ id }) => one(q.pieceRefGet, [id]),
    subrootPieces: async ({ service, pieceCids }) =>
      (await query(q.pieceRefSubrootPieces, [service, pieceCids])).map(
        (r): SubrootPiece => ({
          pieceCid: r.piece_cid as string,
          pdpPieceRefId: Number(r.pdp_piece_ref_id),
          pieceRef: Number(r.piece_ref),
          paddedSize: Number(r.piece_padded_size),
          rawSize: Number(r.piece_raw_size),
        }),
      ),
  };
}

function pieceRefRow(r: Row): PieceRefRow {
  return {
    id: Number(r.id),
    service: r.service as string,
    pieceCid: r.piece_cid as string,
    pieceRef: int(r.piece_ref),
    createdAtMs: Number(r.created_ms),
    proofsetRefcount: Number(r.proofset_refcount),
  };
}

function pieceUploads(query: Query, q: Statements): PieceUploadOps {
  return {
    insert: async (p) => {
      await query(q.uploadInsert, [
        p.id,
        p.service,
        p.checkHashCodec,
        Buffer.from(p.checkHash),
        p.checkSize,
        p.notifyUrl,
        toDb(p.nowMs),
      ]);
    },
    get: async ({ id }) => {
      const [row] = await query(q.uploadGet, [id]);
      return row && pieceUploadRow(row);
    },
    delete: async ({ id }) => (await query(q.uploadDelete, [id])).count === 1,
  };
}

function pieceUploadRow(r: Row): PieceUploadRow {
  return {
    id: r.id as string,
    service: r.service as string,
    checkHashCodec: r.check_hash_codec as string,
    checkHash: r.check_hash as Uint8Array,
    checkSize: Number(r.check_size),
    pieceCid: (r.piece_cid ?? null) as string | null,
    notifyUrl: r.notify_url as string,
    notifyTaskId: int(r.notify_task_id),
    pieceRef: int(r.piece_ref),
    createdAtMs: Number(r.created_ms),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_proofset_roots, pdp_proofset_root_adds

function roots(query: Query, q: Statements): RootOps {
  return {
    existing: async ({ proofSetId, roots }) => (await query(q.rootExisting, [proofSetId, roots])).map(rootMessage),
    insert: async (r) =>
      (
        await query(q.rootInsert, [
          r.proofSetId,
          r.rootId,
          r.subrootOffset,
          r.root,
          r.addMessageHash,
          r.addMessageIndex,
          r.subroot,
          r.subrootSize,
          r.pdpPieceRefId,
        ])
      ).count === 1,
    list: async ({ proofSetId }) => (await query(q.rootList, [proofSetId])).map(rootRow),
    byRootId: async ({ proofSetId, rootId }) => (await query(q.rootByRootId, [proofSetId, rootId])).map(rootRow),
    deleteRoot: async ({ proofSetId, rootId }) => (await query(q.rootDeleteRoot, [proofSetId, rootId])).count,
  };
}

function rootMessage(r: Row): RootMessage {
  return { root: r.root as string, addMessageHash: (r.add_message_hash ?? null) as string | null };
}

function rootRow(r: Row): RootRow {
  return {
    proofSetId: Number(r.proofset_id),
    rootId: Number(r.root_id),
    subrootOffset: Number(r.subroot_offset),
    root: r.root as string,
    addMessageHash: r.add_message_hash as string,
    addMessageIndex: int(r.add_message_index),
    subroot: r.subroot as string,
    subrootOffsetVal: int(r.subroot_offset_val),
    subrootSize: int(r.subroot_size),
    pdpPieceRefId: int(r.pdp_piece_ref_id),
  };
}

function rootAdds(query: Query, q: Statements): RootAddOps {
  return {
    pending: async ({ proofSetId, roots }) => (await query(q.rootAddPending, [proofSetId, roots])).map(rootMessage),
    insert: async (r) => {
      await query(q.rootAddInsert, [
        r.proofSetId,
        r.addMessageHash,
        r.subrootOffset,
        r.root,
        r.addMessageIndex,
        r.subroot,
        r.subrootSize,
        r.pdpPieceRefId,
      ]);
    },
    ready: async ({ limit }) =>
      (await query(q.rootAddReady, [limit])).map((r) => ({
        proofSetId: Number(r.proofset_id),
        addMessageHash: r.add_message_hash as string,
        txReceipt: fromJson(r.tx_receipt),
      })),
    confirmedForMessage: async ({ proofSetId, addMessageHash }) =>
      (await query(q.rootAddConfirmedForMessage, [proofSetId, addMessageHash])).map(rootAddRow),
    forRoot: async ({ proofSetId, root }) => (await query(q.rootAddForRoot, [proofSetId, root])).map(rootAddRow),
    deleteForMessage: async ({ proofSetId, addMessageHash }) =>
      (await query(q.rootAddDeleteForMessage, [proofSetId, addMessageHash])).count,
    deleteForRoot: async ({ proofSetId, root }) => (await query(q.rootAddDeleteForRoot, [proofSetId, root])).count,
    deleteFailed: async ({ proofSetId, roots }) =>
      (await query(q.rootAddDeleteFailed, [proofSetId ?? null, roots ?? null])).count,
  };
}

function rootAddRow(r: Row): RootAddRow {
  return {
    proofSetId: Number(r.proofset_id),
    addMessageHash: (r.add_message_hash ?? null) as string | null,
    subrootOffset: Number(r.subroot_offset),
    root: r.root as string,
    addMessageOk: bool(r.add_message_ok),
    addMessageIndex: int(r.add_message_index),
    subroot: r.subroot as string,
    subrootSize: int(r.subroot_size),
    pdpPieceRefId: int(r.pdp_piece_ref_id),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// pdp_provider_registrations, rail_settlement_waits, withdrawal_waits

function providerRegistrations(query: Query, q: Statements): ProviderRegistrationOps {
  const one = async (text: string, params: unknown[]) => {
    const [row] = await query(text, params);
    return row && registrationRow(row);
  };
  return {
    inProgress: ({ service }) => one(q.registrationInProgress, [service]),
    insert: async ({ registerMessageHash, service, nowMs }) => {
      await query(q.registrationInsert, [registerMessageHash, service, toDb(nowMs)]);
    },
    applyConfirmation: async ({ registerMessageHash, success }) =>
      (await query(q.registrationApplyConfirmation, [success, registerMessageHash])).count,
    ready: async ({ limit }) => (await query(q.registrationReady, [limit])).map(registrationRow),
    markRegistered: async ({ registerMessageHash, providerId }) =>
      (await query(q.registrationMarkRegistered, [providerId, registerMessageHash])).count === 1,
    get: ({ registerMessageHash }) => one(q.registrationGet, [registerMessageHash]),
  };
}

function registrationRow(r: Row): ProviderRegistrationRow {
  return {
    registerMessageHash: r.register_message_hash as string,
    ok: bool(r.ok),
    providerRegistered: bool(r.provider_registered) === true,
    providerId: int(r.provider_id),
    service: r.service as string,
    createdAtMs: Number(r.created_ms),
  };
}

function railSettlementWaits(query: Query, q: Statements): RailSettlementWaitOps {
  return {
    get: async ({ railId }) => {
      const [r] = await query(q.railGet, [railId]);
      return (
        r &&
        ({ railId: r.rail_id as string, signedTxHash: r.signed_tx_hash as string, createdAtMs: int(r.created_ms) } satisfies
          RailSettlementWaitRow)
      );
    },
    upsert: async ({ railId, signedTxHash, nowMs }) => {
      await query(q.railUpsert, [railId, signedTxHash, toDb(nowMs)]);
    },
    delete: async ({ railId }) => (await query(q.railDelete, [railId])).count === 1,
  };
}

function withdrawalWaits(query: Query, q: Statements): WithdrawalWaitOps {
  return {
    latest: async () => {
      const [r] = await query(q.withdrawalLatest, []);
      return (
        r &&
        ({ id: Number(r.id), signedTxHash: r.signed_tx_hash as string, createdAtMs: int(r.created_ms) } satisfies
          WithdrawalWaitRow)
      );
    },
    insert: async ({ signedTxHash, nowMs }) => {
      const [row] = await query(q.withdrawalInsert, [signedTxHash, toDb(nowMs)]);
      return Number(row!.id);
    },
    delete: async ({ id }) => (await query(q.withdrawalDelete, [id])).count === 1,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Values

/** A nullable bigint (text from the driver) or float8 column. */
function int(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

/** A nullable boolean column. */
function bool(value: unknown): boolean | null {
  return value === null || value === undefined ? null : value === true;
}

/** A jsonb column selected as `::text`. */
function fromJson(value: unknown): unknown {
  return typeof value === 'string' ? (JSON.parse(value) as unknown) : (value ?? null);
}

/** JSON text for a `$n::text::jsonb` parameter; null and undefined are SQL NULL. */
function toJson(value: unknown): string | null {
  return value === null || value === undefined ? null : JSON.stringify(value);
}

/** ISO text, cast to timestamptz in the statement (the pool's timestamptz serializer is drizzle's pass-through). */
function toDb(ms: number): string {
  return new Date(ms).toISOString();
}
