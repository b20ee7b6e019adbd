/**
 * The scheduler store's SQL contract: the task engine, retention and the PDP flows use it knowing no dialect. Every
 * statement runs inside `transaction()`, so SQLite's one shared connection can serialise them behind one mutex.
 * Operations take one params object; times are epoch ms from the caller's Clock (SQL never asks for "now").
 */
import type * as schema from '../../../schema/postgres/scheduler.ts';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import type { PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import type { PostgresSchemas } from '../../backend/postgres/schemas.ts';
import type { SqliteSchemas } from '../../backend/sqlite/schemas.ts';
import type { StoreConnection } from '../../backend/types.ts';
import type { ENTITIES } from './entities/index.ts';
import type { RowOf } from './statement.ts';

export type { MessageSendInsert, WaitConfirmation } from './entities/messages.ts';
export type { SubrootPiece } from './entities/pieces.ts';
export type { RootMessage } from './entities/roots.ts';
export type { ClaimCandidate, OwnedTask, TaskCursor, TaskHistoryRow } from './entities/tasks.ts';
export type { RowOf } from './statement.ts';

/** What a driver error means to the caller (data-model §9, with Piri's asymmetry fixed). */
export type SchedulerErrorKind =
  /** Transient: the transaction can be retried as a whole (SQLITE_BUSY*, SQLITE_LOCKED*; 40001, 40P01, 55P03). */
  | 'lock'
  /** A UNIQUE or PRIMARY KEY violation, and nothing else (SQLITE_CONSTRAINT_UNIQUE/_PRIMARYKEY; 23505). */
  | 'unique'
  | 'other';

export interface SchedulerSql {
  /**
   * Runs `fn` in one transaction, committed when it resolves and rolled back when it rejects. `tx` is valid until
   * `fn` settles; a nested `transaction` is refused (it would deadlock on SQLite). Keep `fn` short and free of
   * network waits: on SQLite every other scheduler transaction of the process queues behind it.
   */
  transaction<T>(fn: (tx: SchedulerTx) => Promise<T>): Promise<T>;
  /** Of an error thrown by an operation or `transaction`; wrappers (drizzle's, ...) are unwrapped via `cause`. */
  classifyError(error: unknown): SchedulerErrorKind;
}

/**
 * A scheduler transaction's operations by entity (`tx.tasks.claim`, ...), which an AddTaskExtra writes through. They
 * may change between versions: prefer the PDP flows (data-model §8) where they fit.
 */
export type SchedulerTx<D extends Backend = Backend> = { readonly [K in keyof typeof ENTITIES]: ReturnType<(typeof ENTITIES)[K]> } & {
  /** The scheduler's typed drizzle instance, bound to this transaction. */
  readonly db: SchedulerDatabase<D>;
};

type Backend = StoreConnection['dialect'];

/** The scheduler store's drizzle instance on backend `D` (a union of both when `D` is not narrowed). */
export type SchedulerDatabase<D extends Backend = Backend> = D extends 'sqlite'
  ? BetterSQLite3Database<SqliteSchemas['scheduler']> : PostgresJsDatabase<PostgresSchemas['scheduler']>;

/** A message_sends_eth row as the waiting caller reads it (SenderETH.Send's poll). */
export type MessageSendRow = RowOf<typeof schema.messageSendsEth> & {
  /** Derived, not a column: whether the SendTransaction task row (task.id = send_task_id) still exists. */
  readonly taskPresent: boolean;
};
/** A message_waits_eth row: a watched transaction and, once confirmed, its block, receipt and success. */
export type MessageWaitRow = RowOf<typeof schema.messageWaitsEth>;
/** A pdp_proofset_creates row: a proof set creation message, whether it confirmed (ok) and was materialised. */
export type ProofSetCreateRow = RowOf<typeof schema.pdpProofsetCreates>;
/** A pdp_proof_sets row: a proof set by its on-chain id, with its proving-period state. */
export type ProofSetRow = RowOf<typeof schema.pdpProofSets>;
/** A pdp_piece_mh_to_commp entry: which piece CID a blob (by multihash) belongs to, and its size. */
export type CommpEntry = RowOf<typeof schema.pdpPieceMhToCommp>;
/** A parked_pieces row: a piece held locally, by piece CID and sizes, and whether its data is complete. */
export type ParkedPieceRow = RowOf<typeof schema.parkedPieces>;
/** A parked_piece_refs row: one use of a parked piece, with where its data comes from. */
export type ParkedPieceRefRow = RowOf<typeof schema.parkedPieceRefs>;
/** A pdp_piecerefs row: a service's reference to a parked piece, counted by the proof sets that hold it. */
export type PieceRefRow = RowOf<typeof schema.pdpPiecerefs>;
/** A pdp_piece_uploads row: an upload slot, with the hash and size the data must match and whom to notify. */
export type PieceUploadRow = RowOf<typeof schema.pdpPieceUploads>;
/** A pdp_proofset_roots row: one subroot of a root confirmed in a proof set. */
export type RootRow = RowOf<typeof schema.pdpProofsetRoots>;
/** A pdp_proofset_root_adds row: one subroot of a root being added. */
export type RootAddRow = RowOf<typeof schema.pdpProofsetRootAdds>;
/** A pdp_provider_registrations row: a registration message, whether it confirmed, the provider id once registered. */
export type ProviderRegistrationRow = RowOf<typeof schema.pdpProviderRegistrations>;
/** A rail_settlement_waits row: the settlement transaction last sent for a payment rail. */
export type RailSettlementWaitRow = RowOf<typeof schema.railSettlementWaits>;
/** A withdrawal_waits row: a withdrawal transaction sent. */
export type WithdrawalWaitRow = RowOf<typeof schema.withdrawalWaits>;
