/**
 * Parked pieces, the blob-multihash -> piece-CID cache and piece uploads (data-model §8.3), dialect-free.
 *
 *   getCommp / putCommp      CalculateCommP's cache read and ON CONFLICT DO NOTHING insert.
 *   resolveToPiece           by multihash BYTES. Piri compared the BLOB/bytea column with base58 text and never
 *                            matched (data-model §10 item 18).
 *   resolveToBlob            by piece CID text.
 *   parkPiece                parked_pieces + parked_piece_refs + pdp_piecerefs in one transaction, WITHOUT
 *                            duplicates: Piri's unique index (piece_cid, piece_padded_size, cleanup_task_id,
 *                            long_term) never fires because cleanup_task_id is always NULL, so re-parking a piece
 *                            made a second row of each. piri-db reuses the oldest parked piece with cleanup_task_id
 *                            NULL, its ref for the same data URL and the ref's pdp_piecerefs row, creating only
 *                            what is missing. Postgres serialises parkers of one piece CID with a transaction-scoped
 *                            advisory lock (SQLite transactions are serial already).
 *   allocateUpload / getUpload / completeUpload   upload slots; completing deletes the slot and (for commP codecs)
 *                            caches the piece CID, in one transaction.
 *   deleteParkedPiece / deleteParkedPieceRef      with their FK cascades (§8.8).
 */
import { randomUUID } from 'node:crypto';
import type { SchedulerSource } from '../sql/index.ts';
import type { CommpEntry, ParkedPieceRefRow, ParkedPieceRow, PieceRefRow, PieceUploadRow } from '../sql/types.ts';
import { PdpContext, type PdpOptions, PIRI_SERVICE } from './context.ts';

/** A piece to park (PdpPieces.parkPiece): its CID and sizes, and where its data can be fetched. */
export interface ParkPieceRequest {
  /** Piece CID v2 string. */
  readonly pieceCid: string;
  readonly paddedSize: number;
  readonly rawSize: number;
  /** Piri writes `pdpstore://<blob multihash b58>`. */
  readonly dataUrl: string;
  /** pdp_piecerefs.service; default 'storacha'. */
  readonly service?: string;
}

/** The ids of the rows PdpPieces.parkPiece parked a piece under, and which of them already existed. */
export interface ParkedPiece {
  readonly pieceId: number;
  readonly refId: number;
  /** pdp_piecerefs.id */
  readonly pdpPieceRefId: number;
  /** Which of the three rows existed already (true) or were inserted now (false). */
  readonly reused: { readonly piece: boolean; readonly ref: boolean; readonly pieceRef: boolean };
}

/**
 * An upload slot to open (PdpPieces.allocateUpload): the hash and size the uploaded data must match, and whom to
 * notify.
 */
export interface AllocateUploadRequest {
  /** UUID; a random v4 when omitted. */
  readonly id?: string;
  /** Multihash codec name, e.g. sha2-256. */
  readonly checkHashCodec: string;
  /** Full multihash bytes. */
  readonly checkHash: Uint8Array;
  readonly checkSize: number;
  /** '' when absent (Piri). */
  readonly notifyUrl?: string;
  readonly service?: string;
}

/**
 * Parked pieces, the blob-multihash to piece-CID cache and piece uploads (data-model §8.3); see the module comment for where
 * this differs from Piri. Each method is one transaction, retried on lock errors.
 */
export class PdpPieces {
  readonly #ctx: PdpContext;

  constructor(source: SchedulerSource, options: PdpOptions = {}) {
    this.#ctx = new PdpContext(source, options);
  }

  // -------------------------------------------------------------------------------------------------------------
  // Piece CID cache

  getCommp(mhash: Uint8Array): Promise<CommpEntry | undefined> {
    return this.#ctx.run((tx) => tx.pieceCommps.get({ mhash }));
  }

  /** INSERT ... ON CONFLICT DO NOTHING; true when inserted. */
  putCommp(entry: CommpEntry): Promise<boolean> {
    return this.#ctx.run((tx) => tx.pieceCommps.put(entry));
  }

  /** The piece CID of a blob, by its multihash bytes. */
  resolveToPiece(mhash: Uint8Array): Promise<CommpEntry | undefined> {
    return this.getCommp(mhash);
  }

  /** The blob of a piece CID (the lowest multihash when several blobs map to one piece). */
  resolveToBlob(commp: string): Promise<CommpEntry | undefined> {
    return this.#ctx.run((tx) => tx.pieceCommps.byCommp({ commp }));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Parking

  /**
   * ParkPiece: one transaction, complete = true and long_term = true as Piri writes them, data_headers '{}'.
   * Idempotent for the same piece (CID, padded size) and data URL.
   */
  parkPiece(req: ParkPieceRequest): Promise<ParkedPiece> {
    const service = req.service ?? PIRI_SERVICE;
    return this.#ctx.run(async (tx, nowMs) => {
      await tx.parkedPieces.lockPieceCid({ pieceCid: req.pieceCid });
      const existing = await tx.parkedPieces.findReusable({ pieceCid: req.pieceCid, paddedSize: req.paddedSize, longTerm: true });
      let pieceId: number;
      if (existing) {
        pieceId = existing.id;
        if (!existing.complete) await tx.parkedPieces.markComplete({ id: pieceId });
      } else {
        pieceId = await tx.parkedPieces.insert({
          pieceCid: req.pieceCid,
          paddedSize: req.paddedSize,
          rawSize: req.rawSize,
          complete: true,
          longTerm: true,
          nowMs,
        });
      }
      const ref = existing ? await tx.parkedPieceRefs.find({ pieceId, dataUrl: req.dataUrl, longTerm: true }) : undefined;
      const refId = ref?.refId ?? (await tx.parkedPieceRefs.insert({ pieceId, dataUrl: req.dataUrl, dataHeaders: {}, longTerm: true }));
      const pieceRef = ref ? await tx.pieceRefs.find({ service, pieceCid: req.pieceCid, pieceRef: refId }) : undefined;
      const pdpPieceRefId = pieceRef?.id ?? (await tx.pieceRefs.insert({ service, pieceCid: req.pieceCid, pieceRef: refId, nowMs }));
      return { pieceId, refId, pdpPieceRefId, reused: { piece: !!existing, ref: !!ref, pieceRef: !!pieceRef } };
    });
  }

  getParkedPiece(id: number): Promise<ParkedPieceRow | undefined> {
    return this.#ctx.run((tx) => tx.parkedPieces.get({ id }));
  }

  getParkedPieceRef(refId: number): Promise<ParkedPieceRefRow | undefined> {
    return this.#ctx.run((tx) => tx.parkedPieceRefs.get({ refId }));
  }

  /** A pdp_piecerefs row (with its proofset_refcount). */
  getPieceRef(id: number): Promise<PieceRefRow | undefined> {
    return this.#ctx.run((tx) => tx.pieceRefs.get({ id }));
  }

  /**
   * Deletes a parked piece (never done by Piri): its parked_piece_refs cascade, and from them pdp_piecerefs
   * (whose roots and root_adds get pdp_piece_ref_id NULL) and pdp_piece_uploads.piece_ref (NULL).
   */
  deleteParkedPiece(id: number): Promise<boolean> {
    return this.#ctx.run((tx) => tx.parkedPieces.delete({ id }));
  }

  /** Deletes a parked piece ref: pdp_piecerefs cascade, roots/root_adds/uploads referencing them get NULL. */
  deleteParkedPieceRef(refId: number): Promise<boolean> {
    return this.#ctx.run((tx) => tx.parkedPieceRefs.delete({ refId }));
  }

  // -------------------------------------------------------------------------------------------------------------
  // Uploads

  /** AllocatePiece: a new upload slot; returns its id. */
  allocateUpload(req: AllocateUploadRequest): Promise<string> {
    const id = req.id ?? randomUUID();
    return this.#ctx.run(async (tx, nowMs) => {
      await tx.pieceUploads.insert({
        id,
        service: req.service ?? PIRI_SERVICE,
        checkHashCodec: req.checkHashCodec,
        checkHash: req.checkHash,
        checkSize: req.checkSize,
        notifyUrl: req.notifyUrl ?? '',
        nowMs,
      });
      return id;
    });
  }

  getUpload(id: string): Promise<PieceUploadRow | undefined> {
    return this.#ctx.run((tx) => tx.pieceUploads.get({ id }));
  }

  /**
   * UploadPiece's transaction: deletes the slot and, when `commp` is given (the codec is a commP codec), caches
   * it ON CONFLICT DO NOTHING. False (and nothing cached) when the slot does not exist.
   */
  completeUpload(p: { id: string; commp?: CommpEntry }): Promise<boolean> {
    return this.#ctx.run(async (tx) => {
      if (!(await tx.pieceUploads.delete({ id: p.id }))) return false;
      if (p.commp) await tx.pieceCommps.put(p.commp);
      return true;
    });
  }
}
