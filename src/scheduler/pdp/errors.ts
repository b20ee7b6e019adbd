/** Errors of the PDP flows (src/scheduler/pdp/). Expected outcomes (vetoes, "not ready", conflicts) are results, not errors. */

export type PdpErrorCode =
  /** A row the operation needs does not exist (e.g. the proof set of a root add). */
  | 'NOT_FOUND'
  /** The caller passed something the operation cannot store (empty root list, a piece id missing for an index, ...). */
  | 'INVALID_ARGUMENT'
  /** A write that must change exactly one row changed another number (Piri's RowsAffected checks). */
  | 'ROW_COUNT';

/**
 * An error of a PDP flow operation: a missing row, an argument it cannot store, or an unexpected row count; `code` says
 * which.
 */
export class PdpError extends Error {
  readonly code: PdpErrorCode;

  constructor(code: PdpErrorCode, message: string) {
    super(message);
    this.name = 'PdpError';
    this.code = code;
  }
}
