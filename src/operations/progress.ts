/** What long operations report while they work; the CLI draws it on stderr, a library caller may log it. */
import type { StoreName } from '../catalog/registry.ts';

/** One progress report of a long operation: a phase beginning, or rows moved so far. */
export type Progress =
  /** A phase begins: "migrating the target", "verifying". */
  | { readonly kind: 'step'; readonly message: string }
  /** Rows of one table moved so far, and of the whole operation. */
  | {
      readonly kind: 'rows';
      readonly store: StoreName;
      readonly table: string;
      readonly done: number;
      readonly total: number;
      readonly overallDone: number;
      readonly overallTotal: number;
    };

/** Receives the progress of copy, backup and restore; it runs synchronously, so keep it quick. */
export type ProgressListener = (event: Progress) => void;
