import { describe, expect, it } from 'vitest';
import { formatDuration, parseGoDuration } from '../../src/config/duration.ts';

describe('parseGoDuration', () => {
  it.each([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['0s', 0],
    ['30m', 30 * 60_000],
    ['1h30m', 90 * 60_000],
    ['1.5h', 90 * 60_000],
    ['500ms', 500],
    ['10s', 10_000],
    ['2h45m30.5s', (2 * 3600 + 45 * 60 + 30.5) * 1000],
    ['-1s', -1000],
    ['+1s', 1000],
    ['1500ns', 0.0015],
    ['1500us', 1.5],
    ['1500µs', 1.5], // U+00B5 micro sign
    ['1500μs', 1.5], // U+03BC greek mu
    ['.5s', 500],
    ['1.s', 1000],
    ['1h1h', 2 * 3_600_000],
    ['1s500ms', 1500],
    ['1.0000000001s', 1000], // below a nanosecond: truncated, as Go does
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 9);
  });

  it.each([
    ['', /empty/],
    ['-', /empty/],
    ['10', /missing unit/],
    ['1.5', /missing unit/],
    ['s', /number/],
    ['.s', /number/],
    ['1x', /unknown unit/],
    ['1 s', /unknown unit/],
    [' 1s', /number/],
    ['1hm', /unknown unit/],
    ['1H', /unknown unit/],
    ['--1s', /number/],
    ['30 minutes', /unknown unit/],
    ['2562048h', /out of range/],
  ])('rejects %j', (text, reason) => {
    expect(() => parseGoDuration(text)).toThrow(reason);
  });

  it('never quotes the input in its reason', () => {
    expect(() => parseGoDuration('1:Zebra-Hunter@db')).toThrow(/^unknown unit \(use ns, us, µs, ms, s, m or h\)$/);
  });

  it('accepts the int64 nanosecond extremes', () => {
    expect(parseGoDuration('9223372036854775807ns')).toBeCloseTo(9223372036854.775807, 0);
    expect(parseGoDuration('-9223372036854775808ns')).toBeCloseTo(-9223372036854.775808, 0);
    expect(() => parseGoDuration('9223372036854775808ns')).toThrow(/out of range/);
  });
});

describe('formatDuration', () => {
  it.each([
    [0, '0s'],
    [30 * 60_000, '30m0s'],
    [90 * 60_000, '1h30m0s'],
    [3_600_000, '1h0m0s'],
    [1500, '1.5s'],
    [61_000, '1m1s'],
    [500, '500ms'],
    [1.5, '1.5ms'],
    [0.0015, '1.5µs'],
    [0.0000005, '1ns'], // rounded to the nanosecond
    [-1000, '-1s'],
    [(2 * 3600 + 45 * 60 + 30.5) * 1000, '2h45m30.5s'],
  ])('%d ms is %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it.each(['30m0s', '1h30m0s', '2h45m30.5s', '500ms', '1.5µs', '-1m0.25s', '0s'])('round-trips %s', (text) => {
    expect(formatDuration(parseGoDuration(text))).toBe(text);
  });
});
