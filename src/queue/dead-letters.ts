/** What both queue kinds share about dead letters. */
import type { DeadRow } from './sql/types.ts';
import type { DeadLetter, DeadLetterReason } from './types.ts';

/** sweepExhausted records these: Piri's reason for a last delivery that failed, and why no failure was recorded. */
export const SWEEP_REASON: DeadLetterReason = 'max_retries';
export const SWEEP_ERROR =
  'the last allowed delivery ended without an outcome (worker lost): its visibility window passed with no success or failure reported';

export function toDeadLetter({ movedAtMs, ...row }: DeadRow): DeadLetter {
  return { ...row, movedAt: new Date(movedAtMs) };
}
