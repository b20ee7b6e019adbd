/**
 * The PDP flows of data-model §8 over the scheduler store, dialect-free: each operation is one transaction of the
 * scheduler SQL layer (src/scheduler/sql/), so on SQLite it runs under the connection's mutex like everything else.
 */
import type { SchedulerSource } from '../sql/index.ts';
import type { PdpOptions } from './context.ts';
import { PdpMessages } from './messages.ts';
import { PdpPieces } from './pieces.ts';
import { PdpProofSets } from './proof-sets.ts';
import { PdpProviders } from './providers.ts';
import { PdpProving } from './proving.ts';
import { PdpRoots } from './roots.ts';

export {
  PDP_INIT_PP_TASK,
  PDP_PROVE_TASK,
  PDP_PROVING_PERIOD_TASK,
  PdpContext,
  type PdpOptions,
  PIRI_SERVICE,
  SEND_TRANSACTION_TASK,
} from './context.ts';
export { PdpError, type PdpErrorCode } from './errors.ts';
export {
  type Confirmation,
  confirmationOfWait,
  type NonceLockResult,
  PdpMessages,
  type SendRequest,
  type SendStatus,
  sendStatusOf,
  type SignedSend,
  type Signer,
  WATCH_LIMIT,
} from './messages.ts';
export { type AllocateUploadRequest, type ParkedPiece, type ParkPieceRequest, PdpPieces } from './pieces.ts';
export { type MaterialiseProofSetResult, PdpProofSets, type ProofSetCreateStatus } from './proof-sets.ts';
export { type PaymentWaitCheck, type PaymentWaitStatus, PdpProviders } from './providers.ts';
export { PdpProving, type ProofSetState, type RootCleanup, type ScheduledProve } from './proving.ts';
export { PdpRoots, type RootDuplicates, type RootRequest, type SubrootRequest } from './roots.ts';

/** The PDP flows of data-model §8 on one scheduler store, one object per area; what pdpFlows returns. */
export interface PdpFlows {
  readonly messages: PdpMessages;
  readonly proofSets: PdpProofSets;
  readonly pieces: PdpPieces;
  readonly roots: PdpRoots;
  readonly proving: PdpProving;
  readonly providers: PdpProviders;
}

/** All six PDP flow objects on one scheduler store, sharing the options: what an application usually needs. */
export function pdpFlows(source: SchedulerSource, options: PdpOptions = {}): PdpFlows {
  return {
    messages: new PdpMessages(source, options),
    proofSets: new PdpProofSets(source, options),
    pieces: new PdpPieces(source, options),
    roots: new PdpRoots(source, options),
    proving: new PdpProving(source, options),
    providers: new PdpProviders(source, options),
  };
}
