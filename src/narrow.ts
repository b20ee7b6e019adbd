/**
 * Narrowing values whose type is not known until run time (a caught error, parsed JSON, a JavaScript caller's
 * argument): each function checks, so the type that follows is true rather than asserted.
 */

/** Whether `value` is one of `options`, e.g. a backend name read from a file. */
export function isOneOf<T>(options: readonly T[], value: unknown): value is T {
  return options.some((option) => option === value);
}

/** A caught error's message: an Error's (or any object's) `message` text, else the thrown value as text. */
export function errorMessage(error: unknown): string {
  if (typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string') return error.message;
  return String(error);
}

/** A caught error's `code` when it is text: Node's errno names (ENOENT), SQLite's (SQLITE_BUSY), Postgres SQLSTATEs. */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}
