/** Retry delays: exponential from baseMs, capped at maxMs, with the configured share of jitter. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF, resolveBackoff } from '../../src/queue/runtime/backoff.ts';

const noJitter = { ...DEFAULT_BACKOFF, jitter: 0 };

describe('backoffDelay', () => {
  it('doubles from 1 s after each failed delivery by default, up to 5 min', () => {
    const delays = [1, 2, 3, 4, 9, 10, 11, 50].map((delivery) => backoffDelay(delivery, noJitter));
    expect(delays).toEqual([1_000, 2_000, 4_000, 8_000, 256_000, 300_000, 300_000, 300_000]);
  });

  it('applies jitter downwards only: a random draw of r removes jitter * r of the delay', () => {
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0)).toBe(1_000);
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0.5)).toBe(900);
    expect(backoffDelay(3, DEFAULT_BACKOFF, () => 0.999_999)).toBe(3_200);
  });

  it('stays within [capped * (1 - jitter), capped] for any delivery and options', () => {
    const options = fc.record({
      baseMs: fc.integer({ min: 0, max: 60_000 }),
      factor: fc.double({ min: 1, max: 10, noNaN: true }),
      extraMs: fc.integer({ min: 0, max: 3_600_000 }),
      jitter: fc.double({ min: 0, max: 1, noNaN: true }),
    });
    fc.assert(
      fc.property(options, fc.integer({ min: 1, max: 10_000 }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (o, delivery, r) => {
        const resolved = resolveBackoff({ baseMs: o.baseMs, factor: o.factor, maxMs: o.baseMs + o.extraMs, jitter: o.jitter });
        const capped = resolved.baseMs === 0 ? 0 : Math.min(resolved.maxMs, resolved.baseMs * resolved.factor ** (delivery - 1));
        const delay = backoffDelay(delivery, resolved, () => r);
        expect(Number.isInteger(delay)).toBe(true);
        expect(delay).toBeLessThanOrEqual(Math.round(capped));
        expect(delay).toBeGreaterThanOrEqual(Math.round(capped * (1 - resolved.jitter)) - 1);
      }),
    );
  });

  it('is 0 at every delivery with baseMs 0', () => {
    expect(backoffDelay(5_000, { baseMs: 0, factor: 10, maxMs: 0, jitter: 0.5 })).toBe(0);
  });

  it('never decreases from one delivery to the next without jitter', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 200 }), (delivery) => {
        expect(backoffDelay(delivery + 1, noJitter)).toBeGreaterThanOrEqual(backoffDelay(delivery, noJitter));
      }),
    );
  });
});

describe('resolveBackoff', () => {
  it('fills in the defaults', () => {
    expect(resolveBackoff({ baseMs: 10 })).toEqual({ ...DEFAULT_BACKOFF, baseMs: 10 });
  });

  it('names the option that is out of range', () => {
    expect(() => resolveBackoff({ baseMs: -1 })).toThrow('backoff.baseMs must be a finite number >= 0, got -1');
    expect(() => resolveBackoff({ factor: 0.5 })).toThrow('backoff.factor');
    expect(() => resolveBackoff({ baseMs: 10, maxMs: 5 })).toThrow('backoff.maxMs must be a finite number >= baseMs (10), got 5');
    expect(() => resolveBackoff({ jitter: 1.5 })).toThrow('backoff.jitter');
  });
});
