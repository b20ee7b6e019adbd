/** Every entity's operations, by the name a transaction exposes them under (`tx.tasks`, `tx.rootAdds`, ...). */
import { messageSendLocks, messageSends, messageWaits } from './messages.ts';
import { parkedPieceOps, parkedPieceRefOps, pieceCommps, pieceRefs, pieceUploads } from './pieces.ts';
import { proofSetCreates, proofSets, proveTasks } from './proof-sets.ts';
import { providerRegistrations, railSettlementWaitOps, withdrawalWaitOps } from './providers.ts';
import { rootAdds, roots } from './roots.ts';
import { sessions, taskHistoryOps, tasks } from './tasks.ts';

export const ENTITIES = {
  tasks,
  taskHistory: taskHistoryOps,
  sessions,
  messageSends,
  messageSendLocks,
  messageWaits,
  proofSetCreates,
  proofSets,
  proveTasks,
  pieceCommps,
  parkedPieces: parkedPieceOps,
  parkedPieceRefs: parkedPieceRefOps,
  pieceRefs,
  pieceUploads,
  roots,
  rootAdds,
  providerRegistrations,
  railSettlementWaits: railSettlementWaitOps,
  withdrawalWaits: withdrawalWaitOps,
};
