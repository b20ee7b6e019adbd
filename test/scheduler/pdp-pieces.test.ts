/**
 * PDP pieces (src/scheduler/pdp/pieces.ts, data-model §8.3 and §8.8) on both backends: the piece-CID cache and its
 * lookups (ResolveToPiece by bytes), parking without duplicates, upload slots, and the deletions with their
 * FK cascades, each checked by the rows left behind.
 */
import { expect, it } from 'vitest';
import { pdpFlows } from '../../src/scheduler/pdp/index.ts';
import { forEachBackend } from '../support/installations.ts';
import { harness, START } from './helpers.ts';

const mh = (...bytes: number[]) => new Uint8Array([0x12, 0x20, ...bytes]);
const park = (pieceCid: string, overrides: Record<string, unknown> = {}) => ({
  pieceCid,
  paddedSize: 256,
  rawSize: 200,
  dataUrl: `pdpstore://blob-of-${pieceCid}`,
  ...overrides,
});

forEachBackend('pdp pieces: piece CID cache', (backend) => {
  it('getCommp / putCommp: a miss, an insert, ON CONFLICT DO NOTHING keeps the first value', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql);
    expect(await pieces.getCommp(mh(1))).toBeUndefined();
    expect(await pieces.putCommp({ mhash: mh(1), size: 1000, commp: 'bafkzcibfirst' })).toBe(true);
    expect(await pieces.putCommp({ mhash: mh(1), size: 2000, commp: 'bafkzcibsecond' })).toBe(false);
    const rows = await h.selectAll('pdpPieceMhToCommp');
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ size: 1000, commp: 'bafkzcibfirst' });
    expect([...rows[0]!.mhash]).toEqual([...mh(1)]);
    const hit = await pieces.getCommp(mh(1));
    expect(hit).toMatchObject({ size: 1000, commp: 'bafkzcibfirst' });
    expect([...hit!.mhash]).toEqual([...mh(1)]);
  });

  it('resolveToPiece matches the multihash bytes (Piri compared them with base58 text and never matched)', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql);
    await pieces.putCommp({ mhash: mh(7, 7), size: 10, commp: 'bafkzcibpiece' });
    expect(await pieces.resolveToPiece(mh(7, 7))).toMatchObject({ commp: 'bafkzcibpiece', size: 10 });
    expect(await pieces.resolveToPiece(mh(7, 8))).toBeUndefined();
    // The lookup is by bytes: the same bytes as text (what Piri passed, base58) find nothing.
    expect(await pieces.resolveToPiece(new TextEncoder().encode(Buffer.from(mh(7, 7)).toString('hex')))).toBeUndefined();
  });

  it('resolveToBlob finds the blob of a piece CID, the lowest multihash when several map to it', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql);
    await pieces.putCommp({ mhash: mh(9), size: 5, commp: 'bafkzcibshared' });
    await pieces.putCommp({ mhash: mh(3), size: 5, commp: 'bafkzcibshared' });
    await pieces.putCommp({ mhash: mh(1), size: 5, commp: 'bafkzcibother' });
    const blob = await pieces.resolveToBlob('bafkzcibshared');
    expect([...blob!.mhash]).toEqual([...mh(3)]);
    expect(await pieces.resolveToBlob('bafkzcibnone')).toBeUndefined();
  });
});

forEachBackend('pdp pieces: parking', (backend) => {
  it('parkPiece writes parked_pieces, parked_piece_refs and pdp_piecerefs as Piri does', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql, { clock: h.clock });
    h.clock.advance(42);
    const parked = await pieces.parkPiece(park('bafkpiece'));
    expect(parked.reused).toEqual({ piece: false, ref: false, pieceRef: false });
    const [piece] = await h.selectAll('parkedPieces');
    expect(piece).toMatchObject({
      id: parked.pieceId,
      pieceCid: 'bafkpiece',
      piecePaddedSize: 256,
      pieceRawSize: 200,
      complete: true,
      taskId: null,
      cleanupTaskId: null,
      longTerm: true,
    });
    expect(piece!.createdAt!.getTime()).toBe(START + 42);
    expect(await h.selectAll('parkedPieceRefs')).toEqual([
      { refId: parked.refId, pieceId: parked.pieceId, dataUrl: 'pdpstore://blob-of-bafkpiece', dataHeaders: {}, longTerm: true },
    ]);
    const [pieceRef] = await h.selectAll('pdpPiecerefs');
    expect(pieceRef).toMatchObject({
      id: parked.pdpPieceRefId,
      service: 'storacha',
      pieceCid: 'bafkpiece',
      pieceRef: parked.refId,
      proofsetRefcount: 0,
    });
    expect(pieceRef!.createdAt.getTime()).toBe(START + 42);
  });

  it('parking the same piece again reuses its rows instead of duplicating them (Piri: NULL in the unique index)', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql, { clock: h.clock });
    const first = await pieces.parkPiece(park('bafkpiece'));
    const again = await pieces.parkPiece(park('bafkpiece'));
    expect(again).toEqual({ ...first, reused: { piece: true, ref: true, pieceRef: true } });
    expect(await h.selectAll('parkedPieces')).toHaveLength(1);
    expect(await h.selectAll('parkedPieceRefs')).toHaveLength(1);
    expect(await h.selectAll('pdpPiecerefs')).toHaveLength(1);

    // Same piece from another data URL: one parked piece, a second ref and pdp ref.
    const otherUrl = await pieces.parkPiece(park('bafkpiece', { dataUrl: 'pdpstore://another-blob' }));
    expect(otherUrl.pieceId).toBe(first.pieceId);
    expect(otherUrl.reused).toEqual({ piece: true, ref: false, pieceRef: false });
    // Another padded size is another piece.
    const otherSize = await pieces.parkPiece(park('bafkpiece', { paddedSize: 512 }));
    expect(otherSize.pieceId).not.toBe(first.pieceId);
    expect(await h.selectAll('parkedPieces')).toHaveLength(2);
    expect(await h.selectAll('parkedPieceRefs')).toHaveLength(3);
    expect(await h.selectAll('pdpPiecerefs')).toHaveLength(3);
  });

  it('concurrent parkers of one piece still leave one row of each', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql, { clock: h.clock });
    const results = await Promise.all(Array.from({ length: 8 }, () => pieces.parkPiece(park('bafkrace'))));
    expect(new Set(results.map((r) => r.pdpPieceRefId)).size).toBe(1);
    expect(results.filter((r) => !r.reused.piece)).toHaveLength(1);
    expect(await h.selectAll('parkedPieces')).toHaveLength(1);
    expect(await h.selectAll('parkedPieceRefs')).toHaveLength(1);
    expect(await h.selectAll('pdpPiecerefs')).toHaveLength(1);
  });

  it('reuses the oldest of Piri-made duplicates, never a piece being cleaned up, and completes an incomplete one', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql, { clock: h.clock });
    await h.insert('task', [{ id: 9, name: 'cleanup', postedTime: new Date(START), addedBy: 't', retries: 0 }]);
    await h.insert('parkedPieces', [
      { id: 5, pieceCid: 'bafkdup', piecePaddedSize: 256, pieceRawSize: 200, complete: true, longTerm: true, cleanupTaskId: 9 },
      { id: 6, pieceCid: 'bafkdup', piecePaddedSize: 256, pieceRawSize: 200, complete: false, longTerm: true },
      { id: 7, pieceCid: 'bafkdup', piecePaddedSize: 256, pieceRawSize: 200, complete: true, longTerm: true },
    ]);
    const parked = await pieces.parkPiece(park('bafkdup'));
    expect(parked.pieceId).toBe(6);
    expect(parked.reused.piece).toBe(true);
    expect((await pieces.getParkedPiece(6))!.complete).toBe(true);
    expect(await h.selectAll('parkedPieces')).toHaveLength(3);
    expect((await pieces.getParkedPieceRef(parked.refId))!.pieceId).toBe(6);
  });
});

forEachBackend('pdp pieces: uploads', (backend) => {
  it('allocateUpload writes the slot; completeUpload deletes it and caches the piece CID in one transaction', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql, { clock: h.clock });
    h.clock.advance(5);
    const id = await pieces.allocateUpload({ checkHashCodec: 'sha2-256', checkHash: mh(4), checkSize: 4096 });
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [slot] = await h.selectAll('pdpPieceUploads');
    expect(slot).toMatchObject({
      id,
      service: 'storacha',
      checkHashCodec: 'sha2-256',
      checkSize: 4096,
      pieceCid: null,
      notifyUrl: '',
      notifyTaskId: null,
      pieceRef: null,
    });
    expect([...slot!.checkHash]).toEqual([...mh(4)]);
    expect(slot!.createdAt.getTime()).toBe(START + 5);
    expect(await pieces.getUpload(id)).toMatchObject({ id, checkSize: 4096, notifyUrl: '', createdAtMs: START + 5 });

    const commp = { mhash: mh(4), size: 4096, commp: 'bafkzcibupload' };
    expect(await pieces.completeUpload({ id, commp })).toBe(true);
    expect(await h.selectAll('pdpPieceUploads')).toEqual([]);
    expect((await h.selectAll('pdpPieceMhToCommp')).map((c) => c.commp)).toEqual(['bafkzcibupload']);
    // The slot is gone: nothing happens, nothing is cached.
    expect(await pieces.completeUpload({ id, commp: { ...commp, mhash: mh(5) } })).toBe(false);
    expect(await h.selectAll('pdpPieceMhToCommp')).toHaveLength(1);
  });

  it('a failing cache insert keeps the upload slot (one transaction); without a commP only the slot goes', async () => {
    const h = await harness(backend);
    const { pieces } = pdpFlows(h.sql, { clock: h.clock });
    const id = await pieces.allocateUpload({
      id: '6f1c1a52-0d59-4f7a-9f3e-1d2b3c4d5e6f',
      checkHashCodec: 'sha2-256',
      checkHash: mh(1),
      checkSize: 1,
      notifyUrl: 'https://notify.example',
    });
    expect(id).toBe('6f1c1a52-0d59-4f7a-9f3e-1d2b3c4d5e6f');
    await expect(pieces.completeUpload({ id, commp: { mhash: mh(1), size: 1, commp: null as unknown as string } })).rejects.toThrow();
    expect((await h.selectAll('pdpPieceUploads')).map((u) => u.notifyUrl)).toEqual(['https://notify.example']);
    expect(await pieces.completeUpload({ id })).toBe(true);
    expect(await h.selectAll('pdpPieceUploads')).toEqual([]);
    expect(await h.selectAll('pdpPieceMhToCommp')).toEqual([]);
  });
});

forEachBackend('pdp pieces: deletions and their cascades', (backend) => {
  async function withRoot(backendHarness: Awaited<ReturnType<typeof harness>>) {
    const h = backendHarness;
    const flows = pdpFlows(h.sql, { clock: h.clock });
    const parked = await flows.pieces.parkPiece(park('bafkpiece'));
    await flows.messages.insertPendingWait({ signedTxHash: '0xadd' });
    await h.insert('pdpProofSets', [{ id: 1, createMessageHash: '0xc', service: 'storacha' }]);
    await h.insert('pdpProofsetRoots', [
      { proofsetId: 1, rootId: 1, subrootOffset: 0, root: 'r', addMessageHash: '0xadd', subroot: 'bafkpiece', pdpPieceRefId: parked.pdpPieceRefId },
    ]);
    await h.insert('pdpProofsetRootAdds', [
      { proofsetId: 1, addMessageHash: '0xadd', subrootOffset: 0, root: 'r2', subroot: 'bafkpiece', pdpPieceRefId: parked.pdpPieceRefId },
    ]);
    const upload = await flows.pieces.allocateUpload({ checkHashCodec: 'sha2-256', checkHash: mh(1), checkSize: 1 });
    await h.raw('UPDATE pdp_piece_uploads SET piece_ref = ? WHERE id = ?', [parked.refId, upload]);
    return { flows, parked };
  }

  it('deleting a parked piece ref cascades to pdp_piecerefs and sets the references to it NULL', async () => {
    const h = await harness(backend);
    const { flows, parked } = await withRoot(h);
    expect((await flows.pieces.getPieceRef(parked.pdpPieceRefId))!.proofsetRefcount).toBe(1);
    expect(await flows.pieces.deleteParkedPieceRef(parked.refId)).toBe(true);
    expect(await flows.pieces.deleteParkedPieceRef(parked.refId)).toBe(false);
    expect(await h.selectAll('parkedPieceRefs')).toEqual([]);
    expect(await h.selectAll('pdpPiecerefs')).toEqual([]);
    expect((await h.selectAll('pdpProofsetRoots'))[0]!.pdpPieceRefId).toBeNull();
    expect((await h.selectAll('pdpProofsetRootAdds'))[0]!.pdpPieceRefId).toBeNull();
    expect((await h.selectAll('pdpPieceUploads'))[0]!.pieceRef).toBeNull();
    expect((await h.selectAll('parkedPieces')).map((p) => p.id)).toEqual([parked.pieceId]);
  });

  it('deleting a parked piece cascades through its refs to pdp_piecerefs', async () => {
    const h = await harness(backend);
    const { flows, parked } = await withRoot(h);
    await flows.pieces.parkPiece(park('bafkpiece', { dataUrl: 'pdpstore://second' }));
    const other = await flows.pieces.parkPiece(park('bafkother'));
    expect(await flows.pieces.deleteParkedPiece(parked.pieceId)).toBe(true);
    expect((await h.selectAll('parkedPieces')).map((p) => p.id)).toEqual([other.pieceId]);
    expect((await h.selectAll('parkedPieceRefs')).map((r) => r.refId)).toEqual([other.refId]);
    expect((await h.selectAll('pdpPiecerefs')).map((r) => r.id)).toEqual([other.pdpPieceRefId]);
    expect((await h.selectAll('pdpProofsetRoots'))[0]!.pdpPieceRefId).toBeNull();
    expect(await flows.pieces.getParkedPiece(parked.pieceId)).toBeUndefined();
  });
});
