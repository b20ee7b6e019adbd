/** Roots (data-model §8.4, §8.6): the confirmed ones (a row per subroot) and the pending root adds. */
import * as schema from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { anyOf, columns, FALSE, forUpdate, out, p, type Params, type Row, sql, table, TRUE } from '../statement.ts';

const ROOTS = table(schema.pdpProofsetRoots);
const ADDS = table(schema.pdpProofsetRootAdds);

const root = columns(schema.pdpProofsetRoots);
const add = columns(schema.pdpProofsetRootAdds);
const message = sql`DISTINCT ${out.text('root')}, ${out.text('addMessageHash', 'add_message_hash')}`;
const inSet = sql`proofset_id = ${p.int('proofSetId')}`;

const S = {
  existing: sql`SELECT ${message} FROM ${ROOTS} WHERE ${inSet} AND root ${anyOf.texts('roots')} ORDER BY root, add_message_hash`,
  insert: sql`INSERT INTO ${ROOTS} (proofset_id, root_id, subroot_offset, root, add_message_hash, add_message_index, subroot,
      subroot_offset_val, subroot_size, pdp_piece_ref_id)
    VALUES (${p.int('proofsetId')}, ${p.int('rootId')}, ${p.int('subrootOffset')}, ${p.text('root')}, ${p.text('addMessageHash')},
      ${p.intOrNull('addMessageIndex')}, ${p.text('subroot')}, 0, ${p.intOrNull('subrootSize')}, ${p.intOrNull('pdpPieceRefId')})
    ON CONFLICT DO NOTHING`,
  list: sql`SELECT ${root} FROM ${ROOTS} WHERE ${inSet} ORDER BY root_id, subroot_offset`,
  byRootId: sql`SELECT ${root} FROM ${ROOTS} WHERE ${inSet} AND root_id = ${p.int('rootId')} ORDER BY subroot_offset`,
  deleteRoot: sql`DELETE FROM ${ROOTS} WHERE ${inSet} AND root_id = ${p.int('rootId')}`,

  pending: sql`SELECT ${message} FROM ${ADDS}
    WHERE ${inSet} AND root ${anyOf.texts('roots')} AND add_message_ok IS NOT ${FALSE} ORDER BY root, add_message_hash`,
  addInsert: sql`INSERT INTO ${ADDS} (proofset_id, add_message_hash, subroot_offset, root, add_message_ok, add_message_index,
      subroot, subroot_size, pdp_piece_ref_id)
    VALUES (${p.int('proofsetId')}, ${p.text('addMessageHash')}, ${p.int('subrootOffset')}, ${p.text('root')}, NULL,
      ${p.intOrNull('addMessageIndex')}, ${p.text('subroot')}, ${p.intOrNull('subrootSize')}, ${p.intOrNull('pdpPieceRefId')})`,
  ready: sql`SELECT ${out.int('proofSetId', 'r.proofset_id')}, ${out.text('addMessageHash', 'r.add_message_hash')},
      ${out.json('txReceipt', 'w.tx_receipt')}
    FROM (SELECT DISTINCT proofset_id, add_message_hash FROM ${ADDS}
          WHERE add_message_ok = ${TRUE} AND add_message_hash IS NOT NULL) r
    LEFT JOIN ${table(schema.messageWaitsEth)} w ON w.signed_tx_hash = r.add_message_hash
    ORDER BY r.proofset_id, r.add_message_hash LIMIT ${p.int('limit')}`,
  // Postgres locks the rows: a concurrent confirmation of the same message waits, then finds them gone.
  confirmedForMessage: sql`SELECT ${add} FROM ${ADDS}
    WHERE ${inSet} AND add_message_hash = ${p.text('addMessageHash')} AND add_message_ok = ${TRUE}
    ORDER BY add_message_index, subroot_offset${forUpdate()}`,
  forRoot: sql`SELECT ${add} FROM ${ADDS} WHERE ${inSet} AND root = ${p.text('root')} ORDER BY add_message_index, subroot_offset`,
  deleteForMessage: sql`DELETE FROM ${ADDS} WHERE ${inSet} AND add_message_hash = ${p.text('addMessageHash')}`,
  deleteForRoot: sql`DELETE FROM ${ADDS} WHERE ${inSet} AND root = ${p.text('root')}`,
  deleteFailed: sql`DELETE FROM ${ADDS} WHERE add_message_ok = ${FALSE}
    AND (${p.intOrNull('proofSetId')} IS NULL OR proofset_id = ${p.intOrNull('proofSetId')})
    AND (${p.textsOrNull('roots')} IS NULL OR root ${anyOf.texts('rootList')})`,
};

type P<K extends keyof typeof S> = Params<(typeof S)[K]>;

/** A root (or root add) and the add message that carried it. */
export type RootMessage = Row<typeof S.existing>;

export const roots = (db: SqlSession) => ({
  /** Distinct (root, add message) pairs. */
  existing: (a: P<'existing'>) => db.all(S.existing, a),
  /** subroot_offset_val 0, as Piri; fires the refcount trigger. */
  insert: async (a: P<'insert'>) => (await db.run(S.insert, a)) === 1,
  list: (a: P<'list'>) => db.all(S.list, a),
  /** The prover's challenge read, and root cleanup. */
  byRootId: (a: P<'byRootId'>) => db.all(S.byRootId, a),
  /** Fires the refcount trigger per row. */
  deleteRoot: (a: P<'deleteRoot'>) => db.run(S.deleteRoot, a),
});

export const rootAdds = (db: SqlSession) => ({
  /** Like roots' `existing`; adds whose transaction failed are not pending and are left out (Piri counted them). */
  pending: (a: P<'pending'>) => db.all(S.pending, a),
  insert: async (a: P<'addInsert'>) => void (await db.run(S.addInsert, a)),
  /** Add messages confirmed ok, with the transaction's receipt. */
  ready: (a: P<'ready'>) => db.all(S.ready, a),
  /** One confirmed add message's rows, locked on Postgres so two watchers cannot move them twice. */
  confirmedForMessage: (a: P<'confirmedForMessage'>) => db.all(S.confirmedForMessage, a),
  /** For the admin repair. */
  forRoot: (a: P<'forRoot'>) => db.all(S.forRoot, a),
  deleteForMessage: (a: P<'deleteForMessage'>) => db.run(S.deleteForMessage, a),
  deleteForRoot: (a: P<'deleteForRoot'>) => db.run(S.deleteForRoot, a),
  /** Of one proof set and/or of these roots when given. */
  deleteFailed: ({ proofSetId, roots }: { proofSetId?: number; roots?: readonly string[] }) =>
    db.run(S.deleteFailed, { proofSetId: proofSetId ?? null, roots: roots ?? null, rootList: roots ?? [] }),
});
