/**
 * Shared pieces of the property-based tests: fast-check parameters (reproducible from the environment) and the
 * arbitraries for hostile input.
 *
 * Runs are random by default. fast-check prints the seed and path of a failure; to replay it:
 *   PIRI_DB_FC_SEED=<seed> PIRI_DB_FC_PATH=<path> pnpm exec vitest run test/property/<file>
 * PIRI_DB_FC_RUNS=<n> overrides every property's number of runs (a longer hunt, or a quick smoke run).
 */
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { PiriDbError } from '../../src/errors.ts';

export function fcParameters<T>(numRuns: number): fc.Parameters<T> {
  const { PIRI_DB_FC_SEED: seed, PIRI_DB_FC_PATH: path, PIRI_DB_FC_RUNS: runs } = process.env;
  return {
    numRuns: runs ? Number(runs) : numRuns,
    ...(seed ? { seed: Number(seed) } : {}),
    ...(path ? { path } : {}),
  };
}

/** One character of hostile text: any code point, or one of the characters that break naive SQL, JSON or UTF-8. */
export const hostileChar: fc.Arbitrary<string> = fc.oneof(
  { arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), weight: 4 },
  {
    arbitrary: fc.constantFrom(
      '\u0000', // PostgreSQL text cannot hold it
      '\ud800', // unpaired surrogates: no UTF-8 form
      '\udfff',
      '\ufffd', // what an unpaired surrogate turns into
      '"',
      "'",
      '\\',
      '%',
      '_',
      '\n',
      ';',
      '\u2028',
      '<',
      '&',
      'é',
      '😀',
    ),
    weight: 3,
  },
);

export function hostileString(constraints: { minLength?: number; maxLength?: number } = {}): fc.Arbitrary<string> {
  return fc.string({ unit: hostileChar, maxLength: 12, ...constraints });
}

/** Numbers and non-numbers where a number of ms or a count is expected. */
export const anyNumberish: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.integer({ min: -5, max: 20_000 }), weight: 4 },
  { arbitrary: fc.double(), weight: 2 }, // NaN, infinities, -0, subnormals, huge
  {
    arbitrary: fc.constantFrom(
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      -0,
      -1,
      0,
      0.5,
      2 ** 31 - 1,
      2 ** 31,
      2 ** 53,
      1e15,
      1e300,
      Number.MAX_VALUE,
    ),
    weight: 2,
  },
  { arbitrary: fc.constantFrom<unknown>('5', null, true, {}, [], 5n, Symbol('x'), () => 1), weight: 1 },
);

/** Bytes: small ones of any content (empty included), or large ones (up to 64 KiB) filled from a seed. */
export const bodyBytes: fc.Arbitrary<Uint8Array> = fc.oneof(
  { arbitrary: fc.uint8Array({ maxLength: 24 }), weight: 5 },
  { arbitrary: fc.record({ length: fc.integer({ min: 1_000, max: 65_536 }), seed: fc.integer() }).map(({ length, seed }) => pseudoRandomBytes(length, seed)), weight: 1 },
);

/** `length` bytes from a seed (xorshift32): large bodies without generating them element by element. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let x = seed | 0 || 0x9e3779b9;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    bytes[i] = x & 0xff;
  }
  return bytes;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** What a name reads as once stored: unpaired surrogates become U+FFFD (as Go's decoder and both drivers do). */
export function wellFormed(text: string): string {
  return text.replace(/[\ud800-\udfff]/gu, '\ufffd');
}

/** U+0000 or an unpaired surrogate: text the queues refuse as a name or id. */
export function unstorable(text: string): boolean {
  return text.includes('\u0000') || /[\ud800-\udfff]/u.test(text);
}

/**
 * Runs `call`; returns its value, or the error when it is a PiriDbError. Anything else thrown (a driver error, a
 * TypeError) fails the property with that error.
 */
export async function outcome<T>(call: () => Promise<T> | T): Promise<{ ok: true; value: T } | { ok: false; error: PiriDbError }> {
  try {
    return { ok: true, value: await call() };
  } catch (error) {
    if (error instanceof PiriDbError) return { ok: false, error };
    throw error;
  }
}
