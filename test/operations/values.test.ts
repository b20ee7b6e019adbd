import { describe, expect, it } from 'vitest';
import { sqliteTimeWriter, storeTables } from '../../src/operations/catalog.ts';
import { copyText } from '../../src/operations/postgres/sql.ts';
import { compactJson, formatMicros, parseTimestamp, rowConverter } from '../../src/operations/values.ts';
import { STORES } from '../../src/catalog/registry.ts';

const table = (store: string, name: string) => storeTables(STORES.find((s) => s.name === store)!).find((t) => t.name === name)!;

describe('timestamps between SQLite text and Postgres', () => {
  it('reads every SQLite form to the microsecond, zone included', () => {
    const base = Date.UTC(2024, 2, 4, 5, 6, 7) * 1000;
    expect(parseTimestamp('2024-03-04 05:06:07')).toBe(base);
    expect(parseTimestamp('2024-03-04 05:06:07.089+00:00')).toBe(base + 89_000);
    expect(parseTimestamp('2024-03-04T05:06:07.089Z')).toBe(base + 89_000);
    expect(parseTimestamp('2024-03-04 05:06:07.123456789-07:00')).toBe(base + 7 * 3_600_000_000 + 123_456);
    expect(parseTimestamp('2024-03-04T05:06:07.000001Z')).toBe(base + 1);
    expect(new Date(parseTimestamp('0099-01-01 00:00:00')! / 1000).getUTCFullYear()).toBe(99);
    expect(parseTimestamp('yesterday')).toBeUndefined();
  });

  it('writes Postgres text that keeps the microseconds', () => {
    expect(formatMicros(Date.UTC(2024, 2, 4, 5, 6, 7, 89) * 1000 + 5)).toBe('2024-03-04T05:06:07.089005Z');
    expect(parseTimestamp(formatMicros(1_709_528_767_089_123))).toBe(1_709_528_767_089_123);
  });

  it('writes SQLite text with the schema codec: queue times fixed-width, a datetime at a whole second as CURRENT_TIMESTAMP does', () => {
    expect(sqliteTimeWriter(table('replicator', 'jobqueue'), 'timeout')(new Date('2024-01-01T00:00:00Z'))).toBe('2024-01-01T00:00:00.000Z');
    const taskTime = sqliteTimeWriter(table('scheduler', 'task'), 'update_time');
    expect(taskTime(new Date('2024-01-01T00:00:00Z'))).toBe('2024-01-01 00:00:00');
    expect(taskTime(new Date('2024-01-01T00:00:00.5Z'))).toBe('2024-01-01 00:00:00.500+00:00');
  });

  it('converts a row both ways and back to the same SQLite text', () => {
    const history = table('scheduler', 'task_history');
    const row = [5n, 6n, 'PDPProve', '2024-01-01 00:00:00.123+00:00', '2024-01-01 00:00:01', '2024-01-01 00:00:02.789+00:00', 1n, null, 's'];
    const there = rowConverter('sqlite', 'postgres', history)([row]);
    expect(there[0]).toEqual(['5', '6', 'PDPProve', '2024-01-01T00:00:00.123000Z', '2024-01-01T00:00:01.000000Z', '2024-01-01T00:00:02.789000Z', true, null, 's']);
    expect(rowConverter('postgres', 'sqlite', history)(there)[0]).toEqual(row);
  });
});

describe('values as text', () => {
  it('compacts jsonb output without touching strings or numbers', () => {
    expect(compactJson('{"a": [1, 2.50, 1e2], "b": "x y \\" z", "c": {"d": null}}')).toBe('{"a":[1,2.50,1e2],"b":"x y \\" z","c":{"d":null}}');
  });

  it('escapes COPY text: tabs, newlines, backslashes, NULL, bytea, booleans', () => {
    expect(copyText([['a\tb\nc\\d\re', null, Buffer.from([0, 255]), true, false, '\\N']])).toBe('a\\tb\\nc\\\\d\\re\t\\N\t\\\\x00ff\tt\tf\t\\\\N\n');
  });
});
