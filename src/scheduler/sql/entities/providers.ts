/**
 * Provider registration and payments (data-model §8.7): `pdp_provider_registrations`, and the model-only
 * `rail_settlement_waits` and `withdrawal_waits`.
 */
import { pdpProviderRegistrations, railSettlementWaits, withdrawalWaits } from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { columns, FALSE, out, p, sql, table, TRUE } from '../statement.ts';
import type { ProviderRegistrationOps, RailSettlementWaitOps, WithdrawalWaitOps } from '../types.ts';

const REGISTRATIONS = table(pdpProviderRegistrations);
const RAILS = table(railSettlementWaits);
const WITHDRAWALS = table(withdrawalWaits);

const registration = columns(pdpProviderRegistrations);
const byHash = sql`register_message_hash = ${p.text('registerMessageHash')}`;

const S = {
  inProgress: sql`SELECT ${registration} FROM ${REGISTRATIONS}
    WHERE service = ${p.text('service')} AND provider_registered = ${FALSE} AND (ok IS NULL OR ok = ${TRUE})
    ORDER BY created_at, register_message_hash LIMIT 1`,
  insert: sql`INSERT INTO ${REGISTRATIONS} (register_message_hash, ok, provider_registered, provider_id, service, created_at)
    VALUES (${p.text('registerMessageHash')}, NULL, ${FALSE}, NULL, ${p.text('service')}, ${p.time('nowMs')})`,
  // A NULL success (not known yet) leaves `ok` as it is.
  applyConfirmation: sql`UPDATE ${REGISTRATIONS} SET ok = COALESCE(${p.bool('success')}, ok)
    WHERE ${byHash} AND provider_registered = ${FALSE}`,
  ready: sql`SELECT ${registration} FROM ${REGISTRATIONS} WHERE ok = ${TRUE} AND provider_registered = ${FALSE}
    ORDER BY created_at, register_message_hash LIMIT ${p.int('limit')}`,
  markRegistered: sql`UPDATE ${REGISTRATIONS} SET provider_registered = ${TRUE}, provider_id = ${p.int('providerId')}
    WHERE ${byHash} AND provider_registered = ${FALSE}`,
  get: sql`SELECT ${registration} FROM ${REGISTRATIONS} WHERE ${byHash}`,

  railGet: sql`SELECT ${columns(railSettlementWaits)} FROM ${RAILS} WHERE rail_id = ${p.text('railId')}`,
  railUpsert: sql`INSERT INTO ${RAILS} (rail_id, signed_tx_hash, created_at)
    VALUES (${p.text('railId')}, ${p.text('signedTxHash')}, ${p.time('nowMs')})
    ON CONFLICT (rail_id) DO UPDATE SET signed_tx_hash = excluded.signed_tx_hash, created_at = excluded.created_at`,
  railDelete: sql`DELETE FROM ${RAILS} WHERE rail_id = ${p.text('railId')}`,

  withdrawalLatest: sql`SELECT ${columns(withdrawalWaits)} FROM ${WITHDRAWALS} ORDER BY created_at DESC NULLS LAST, id DESC LIMIT 1`,
  withdrawalInsert: sql`INSERT INTO ${WITHDRAWALS} (signed_tx_hash, created_at) VALUES (${p.text('signedTxHash')}, ${p.time('nowMs')})
    RETURNING ${out.int('id')}`,
  withdrawalDelete: sql`DELETE FROM ${WITHDRAWALS} WHERE id = ${p.int('id')}`,
};

export function providerRegistrations(db: SqlSession): ProviderRegistrationOps {
  return {
    inProgress: (a) => db.get(S.inProgress, a),
    insert: async (a) => void (await db.run(S.insert, a)),
    applyConfirmation: (a) => db.run(S.applyConfirmation, a),
    ready: (a) => db.all(S.ready, a),
    markRegistered: async (a) => (await db.run(S.markRegistered, a)) === 1,
    get: (a) => db.get(S.get, a),
  };
}

export function railSettlementWaitOps(db: SqlSession): RailSettlementWaitOps {
  return {
    get: (a) => db.get(S.railGet, a),
    upsert: async (a) => void (await db.run(S.railUpsert, a)),
    delete: async (a) => (await db.run(S.railDelete, a)) === 1,
  };
}

export function withdrawalWaitOps(db: SqlSession): WithdrawalWaitOps {
  return {
    latest: () => db.get(S.withdrawalLatest, {}),
    insert: async (a) => (await db.get(S.withdrawalInsert, a))!.id,
    delete: async (a) => (await db.run(S.withdrawalDelete, a)) === 1,
  };
}
