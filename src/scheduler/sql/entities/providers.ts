/** Provider registration and the model-only payment waits (data-model §8.7). */
import * as schema from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { columns, FALSE, out, p, type Params, sql, table, TRUE } from '../statement.ts';

const REGISTRATIONS = table(schema.pdpProviderRegistrations);
const RAILS = table(schema.railSettlementWaits);
const WITHDRAWALS = table(schema.withdrawalWaits);

const registration = columns(schema.pdpProviderRegistrations);
const byHash = sql`register_message_hash = ${p.text('registerMessageHash')}`;

const S = {
  inProgress: sql`SELECT ${registration} FROM ${REGISTRATIONS}
    WHERE service = ${p.text('service')} AND provider_registered = ${FALSE} AND (ok IS NULL OR ok = ${TRUE})
    ORDER BY created_at, register_message_hash LIMIT 1`,
  insert: sql`INSERT INTO ${REGISTRATIONS} (register_message_hash, ok, provider_registered, provider_id, service, created_at)
    VALUES (${p.text('registerMessageHash')}, NULL, ${FALSE}, NULL, ${p.text('service')}, ${p.time('nowMs')})`,
  // A NULL success (not known yet) leaves `ok` as it is.
  applyConfirmation: sql`UPDATE ${REGISTRATIONS} SET ok = COALESCE(${p.boolOrNull('success')}, ok)
    WHERE ${byHash} AND provider_registered = ${FALSE}`,
  ready: sql`SELECT ${registration} FROM ${REGISTRATIONS} WHERE ok = ${TRUE} AND provider_registered = ${FALSE}
    ORDER BY created_at, register_message_hash LIMIT ${p.int('limit')}`,
  markRegistered: sql`UPDATE ${REGISTRATIONS} SET provider_registered = ${TRUE}, provider_id = ${p.int('providerId')}
    WHERE ${byHash} AND provider_registered = ${FALSE}`,
  get: sql`SELECT ${registration} FROM ${REGISTRATIONS} WHERE ${byHash}`,

  railGet: sql`SELECT ${columns(schema.railSettlementWaits)} FROM ${RAILS} WHERE rail_id = ${p.text('railId')}`,
  railUpsert: sql`INSERT INTO ${RAILS} (rail_id, signed_tx_hash, created_at)
    VALUES (${p.text('railId')}, ${p.text('signedTxHash')}, ${p.time('nowMs')})
    ON CONFLICT (rail_id) DO UPDATE SET signed_tx_hash = excluded.signed_tx_hash, created_at = excluded.created_at`,
  railDelete: sql`DELETE FROM ${RAILS} WHERE rail_id = ${p.text('railId')}`,

  withdrawalLatest: sql`SELECT ${columns(schema.withdrawalWaits)} FROM ${WITHDRAWALS} ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 1`,
  withdrawalInsert: sql`INSERT INTO ${WITHDRAWALS} (signed_tx_hash, created_at) VALUES (${p.text('signedTxHash')}, ${p.time('nowMs')})
    RETURNING ${out.int('id')}`,
  withdrawalDelete: sql`DELETE FROM ${WITHDRAWALS} WHERE id = ${p.int('id')}`,
};

type P<K extends keyof typeof S> = Params<(typeof S)[K]>;

export const providerRegistrations = (db: SqlSession) => ({
  /** The oldest unregistered one not failed (Piri counted failed ones: they would block a new one forever). */
  inProgress: (a: P<'inProgress'>) => db.get(S.inProgress, a),
  insert: async (a: P<'insert'>) => void (await db.run(S.insert, a)),
  /** The status triggers' rule, which Piri lacks: ok = the transaction's success, unchanged while unknown. */
  applyConfirmation: (a: P<'applyConfirmation'>) => db.run(S.applyConfirmation, a),
  /** Oldest first. */
  ready: (a: P<'ready'>) => db.all(S.ready, a),
  markRegistered: async (a: P<'markRegistered'>) => (await db.run(S.markRegistered, a)) === 1,
  get: (a: P<'get'>) => db.get(S.get, a),
});

export const railSettlementWaitOps = (db: SqlSession) => ({
  get: (a: P<'railGet'>) => db.get(S.railGet, a),
  upsert: async (a: P<'railUpsert'>) => void (await db.run(S.railUpsert, a)),
  delete: async (a: P<'railDelete'>) => (await db.run(S.railDelete, a)) === 1,
});

export const withdrawalWaitOps = (db: SqlSession) => ({
  /** NULL created_at counts as oldest. */
  latest: () => db.get(S.withdrawalLatest, {}),
  insert: async (a: P<'withdrawalInsert'>) => (await db.get(S.withdrawalInsert, a))!.id,
  delete: async (a: P<'withdrawalDelete'>) => (await db.run(S.withdrawalDelete, a)) === 1,
});
