/** Pieces (data-model §8.3): the multihash to piece CID cache, parked pieces and refs, PDP piece refs, uploads. */
import * as schema from '../../../../schema/postgres/scheduler.ts';
import type { SqlSession } from '../dialect/dialect.ts';
import { anyOf, columns, FALSE, out, p, type Params, type Row, sql, table, TRUE } from '../statement.ts';

const COMMP = table(schema.pdpPieceMhToCommp);
const PARKED = table(schema.parkedPieces);
const REFS = table(schema.parkedPieceRefs);
const PIECE_REFS = table(schema.pdpPiecerefs);
const UPLOADS = table(schema.pdpPieceUploads);

/** `pdpp`: so two parks of one piece CID do not both insert. */
const PARKED_PIECE_LOCK = 0x70_64_70_70;

const S = {
  commpGet: sql`SELECT ${columns(schema.pdpPieceMhToCommp)} FROM ${COMMP} WHERE mhash = ${p.bytes('mhash')}`,
  commpByCommp: sql`SELECT ${columns(schema.pdpPieceMhToCommp)} FROM ${COMMP} WHERE commp = ${p.text('commp')} ORDER BY mhash LIMIT 1`,
  commpPut: sql`INSERT INTO ${COMMP} (mhash, size, commp) VALUES (${p.bytes('mhash')}, ${p.int('size')}, ${p.text('commp')})
    ON CONFLICT (mhash) DO NOTHING`,

  parkedFindReusable: sql`SELECT ${columns(schema.parkedPieces)} FROM ${PARKED}
    WHERE piece_cid = ${p.text('pieceCid')} AND piece_padded_size = ${p.int('paddedSize')} AND long_term = ${p.bool('longTerm')}
      AND cleanup_task_id IS NULL ORDER BY id LIMIT 1`,
  parkedInsert: sql`INSERT INTO ${PARKED} (created_at, piece_cid, piece_padded_size, piece_raw_size, complete, task_id,
    cleanup_task_id, long_term) VALUES (${p.time('nowMs')}, ${p.text('pieceCid')}, ${p.int('paddedSize')}, ${p.int('rawSize')},
    ${p.bool('complete')}, NULL, NULL, ${p.bool('longTerm')}) RETURNING ${out.int('id')}`,
  parkedMarkComplete: sql`UPDATE ${PARKED} SET complete = ${TRUE} WHERE id = ${p.int('id')} AND complete = ${FALSE}`,
  parkedGet: sql`SELECT ${columns(schema.parkedPieces)} FROM ${PARKED} WHERE id = ${p.int('id')}`,
  parkedDelete: sql`DELETE FROM ${PARKED} WHERE id = ${p.int('id')}`,

  refFind: sql`SELECT ${columns(schema.parkedPieceRefs)} FROM ${REFS}
    WHERE piece_id = ${p.int('pieceId')} AND data_url = ${p.text('dataUrl')} AND long_term = ${p.bool('longTerm')}
    ORDER BY ref_id LIMIT 1`,
  refInsert: sql`INSERT INTO ${REFS} (piece_id, data_url, data_headers, long_term)
    VALUES (${p.int('pieceId')}, ${p.text('dataUrl')}, ${p.json('dataHeaders')}, ${p.bool('longTerm')}) RETURNING ${out.int('refId', 'ref_id')}`,
  refGet: sql`SELECT ${columns(schema.parkedPieceRefs)} FROM ${REFS} WHERE ref_id = ${p.int('refId')}`,
  refDelete: sql`DELETE FROM ${REFS} WHERE ref_id = ${p.int('refId')}`,
  // The parked ref behind a PDP piece ref, once no PDP piece ref still needs it (counted, or pending in a root add).
  refDeleteReleased: sql`DELETE FROM ${REFS} AS r
    WHERE r.ref_id = (SELECT piece_ref FROM ${PIECE_REFS} WHERE id = ${p.int('pdpPieceRefId')})
      AND NOT EXISTS (SELECT 1 FROM ${PIECE_REFS} q WHERE q.piece_ref = r.ref_id
        AND (q.proofset_refcount > 0 OR EXISTS (SELECT 1 FROM ${table(schema.pdpProofsetRootAdds)} a WHERE a.pdp_piece_ref_id = q.id)))
    RETURNING ${out.int('refId', 'ref_id')}`,

  pieceRefFind: sql`SELECT ${columns(schema.pdpPiecerefs)} FROM ${PIECE_REFS}
    WHERE service = ${p.text('service')} AND piece_cid = ${p.text('pieceCid')} AND piece_ref = ${p.int('pieceRef')}
    ORDER BY id LIMIT 1`,
  pieceRefInsert: sql`INSERT INTO ${PIECE_REFS} (service, piece_cid, piece_ref, created_at, proofset_refcount)
    VALUES (${p.text('service')}, ${p.text('pieceCid')}, ${p.int('pieceRef')}, ${p.time('nowMs')}, 0) RETURNING ${out.int('id')}`,
  pieceRefGet: sql`SELECT ${columns(schema.pdpPiecerefs)} FROM ${PIECE_REFS} WHERE id = ${p.int('id')}`,
  subrootPieces: sql`SELECT ${out.text('pieceCid', 'ppr.piece_cid')}, ${out.int('pdpPieceRefId', 'ppr.id')},
      ${out.int('pieceRef', 'ppr.piece_ref')}, ${out.int('paddedSize', 'pp.piece_padded_size')},
      ${out.int('rawSize', 'pp.piece_raw_size')}
    FROM ${PIECE_REFS} ppr JOIN ${REFS} pprf ON pprf.ref_id = ppr.piece_ref JOIN ${PARKED} pp ON pp.id = pprf.piece_id
    WHERE ppr.service = ${p.text('service')} AND ppr.piece_cid ${anyOf.texts('pieceCids')}
    ORDER BY ppr.piece_cid, ppr.id`,

  uploadInsert: sql`INSERT INTO ${UPLOADS} (id, service, check_hash_codec, check_hash, check_size, piece_cid, notify_url,
    notify_task_id, piece_ref, created_at) VALUES (${p.uuid('id')}, ${p.text('service')}, ${p.text('checkHashCodec')},
    ${p.bytes('checkHash')}, ${p.int('checkSize')}, NULL, ${p.text('notifyUrl')}, NULL, NULL, ${p.time('nowMs')})`,
  uploadGet: sql`SELECT ${columns(schema.pdpPieceUploads)} FROM ${UPLOADS} WHERE id = ${p.uuid('id')}`,
  uploadDelete: sql`DELETE FROM ${UPLOADS} WHERE id = ${p.uuid('id')}`,
};

type P<K extends keyof typeof S> = Params<(typeof S)[K]>;

/** A row of the subroot lookup (data-model §8.4 step 3). */
export type SubrootPiece = Row<typeof S.subrootPieces>;

export const pieceCommps = (db: SqlSession) => ({
  /** By the multihash BYTES (Piri compared them with base58 text and never matched). */
  get: (a: P<'commpGet'>) => db.get(S.commpGet, a),
  /** By piece CID; the lowest multihash when several blobs map to one piece. */
  byCommp: (a: P<'commpByCommp'>) => db.get(S.commpByCommp, a),
  /** The first value for a multihash is kept. */
  put: async (a: P<'commpPut'>) => (await db.run(S.commpPut, a)) === 1,
});

export const parkedPieceOps = (db: SqlSession) => ({
  lockPieceCid: ({ pieceCid }: { pieceCid: string }) => db.lock(PARKED_PIECE_LOCK, pieceCid),
  /** The oldest row the unique index would take for the same piece if NULLs were equal. */
  findReusable: (a: P<'parkedFindReusable'>) => db.get(S.parkedFindReusable, a),
  insert: async (a: P<'parkedInsert'>) => (await db.get(S.parkedInsert, a))!.id,
  markComplete: async (a: P<'parkedMarkComplete'>) => (await db.run(S.parkedMarkComplete, a)) === 1,
  get: (a: P<'parkedGet'>) => db.get(S.parkedGet, a),
  /** Never done by Piri: cascades to its parked refs and from there to pdp_piecerefs. */
  delete: async (a: P<'parkedDelete'>) => (await db.run(S.parkedDelete, a)) === 1,
});

export const parkedPieceRefOps = (db: SqlSession) => ({
  /** The oldest match. */
  find: (a: P<'refFind'>) => db.get(S.refFind, a),
  insert: async (a: P<'refInsert'>) => (await db.get(S.refInsert, { ...a, dataHeaders: a.dataHeaders ?? {} }))!.refId,
  get: (a: P<'refGet'>) => db.get(S.refGet, a),
  /** Cascades to pdp_piecerefs (then SET NULL on roots and root adds) and SET NULL on uploads' piece_ref. */
  delete: async (a: P<'refDelete'>) => (await db.run(S.refDelete, a)) === 1,
  /** Root cleanup (data-model §8.6 Prove step 4, fixed): the parked ref, once no proof set or root add needs it. */
  deleteReleasedByPieceRef: async (a: P<'refDeleteReleased'>) => (await db.all(S.refDeleteReleased, a)).map((r) => r.refId),
});

export const pieceRefs = (db: SqlSession) => ({
  /** The oldest match. */
  find: (a: P<'pieceRefFind'>) => db.get(S.pieceRefFind, a),
  insert: async (a: P<'pieceRefInsert'>) => (await db.get(S.pieceRefInsert, a))!.id,
  get: (a: P<'pieceRefGet'>) => db.get(S.pieceRefGet, a),
  /** With their parked sizes, by piece CID, then id. */
  subrootPieces: (a: P<'subrootPieces'>) => db.all(S.subrootPieces, a),
});

export const pieceUploads = (db: SqlSession) => ({
  insert: async (a: P<'uploadInsert'>) => void (await db.run(S.uploadInsert, a)),
  get: (a: P<'uploadGet'>) => db.get(S.uploadGet, a),
  delete: async (a: P<'uploadDelete'>) => (await db.run(S.uploadDelete, a)) === 1,
});
