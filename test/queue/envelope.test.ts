/**
 * Piri's envelope: encode() must produce the bytes Go's json.Encoder writes (expected values below are Go's output
 * for the same struct), decode() must read what Go's json.Unmarshal reads.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, encodedLength, EnvelopeError } from '../../src/queue/envelope.ts';

const text = (bytes: Buffer) => bytes.toString('utf8');
const trace = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331' };

describe('encode', () => {
  it('writes name, base64 message and the trailing newline, as Go', () => {
    expect(text(encode('transfer-task', Buffer.from('{"a":1}')))).toBe('{"name":"transfer-task","message":"eyJhIjoxfQ=="}\n');
  });

  it('writes an empty payload as an empty string', () => {
    expect(text(encode('add_roots', new Uint8Array()))).toBe('{"name":"add_roots","message":""}\n');
  });

  it('encodes a Uint8Array view without the bytes around it', () => {
    const backing = new Uint8Array([9, 1, 2, 3, 9]);
    expect(text(encode('x', backing.subarray(1, 4)))).toBe('{"name":"x","message":"AQID"}\n');
  });

  it('knows the length of an envelope without encoding it', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.uint8Array({ maxLength: 100 }), fc.string(), (name, payload, traceState) => {
        expect(encodedLength(name, payload.length)).toBe(encode(name, payload).length);
        const traced = { ...trace, traceFlags: 1, traceState };
        expect(encodedLength(name, payload.length, traced)).toBe(encode(name, payload, traced).length);
      }),
    );
  });

  it("escapes <, > and & as Go's HTML-safe encoder does", () => {
    expect(text(encode('a<b>&c', new Uint8Array()))).toBe('{"name":"a\\u003cb\\u003e\\u0026c","message":""}\n');
  });

  it('escapes quotes, backslashes, control characters and line separators as Go 1.22+', () => {
    const name = 'q"b\\\b\f\n\r\t\u0001\u001f\u007f\u2028\u2029é';
    expect(text(encode(name, new Uint8Array()))).toBe(
      '{"name":"q\\"b\\\\\\b\\f\\n\\r\\t\\u0001\\u001f\u007f\\u2028\\u2029é","message":""}\n',
    );
  });

  it('writes an unpaired surrogate as \\ufffd, as Go writes invalid UTF-8', () => {
    expect(text(encode('a\ud800b', new Uint8Array()))).toBe('{"name":"a\\ufffdb","message":""}\n');
  });

  it('writes the trace after the message, in SpanContextPayload order, omitting zero flags and empty state', () => {
    expect(text(encode('x', Buffer.from([1, 2, 3]), trace))).toBe(
      '{"name":"x","message":"AQID","trace":{"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331"}}\n',
    );
    expect(text(encode('x', Buffer.from([1, 2, 3]), { ...trace, traceFlags: 1, traceState: 'congo=t61rcWkgMzE' }))).toBe(
      '{"name":"x","message":"AQID","trace":{"trace_id":"0af7651916cd43dd8448eb211c80319c",' +
        '"span_id":"b7ad6b7169203331","trace_flags":1,"trace_state":"congo=t61rcWkgMzE"}}\n',
    );
  });

  it('refuses trace flags that are not a uint8', () => {
    expect(() => encode('x', new Uint8Array(), { ...trace, traceFlags: 256 })).toThrow(RangeError);
  });
});

describe('decode', () => {
  it('reads what encode writes, for any name, payload and trace', () => {
    const traces = fc.option(
      fc.record({
        traceId: fc.string(),
        spanId: fc.string(),
        traceFlags: fc.integer({ min: 1, max: 255 }),
        traceState: fc.string({ minLength: 1 }),
      }),
      { nil: undefined },
    );
    fc.assert(
      fc.property(fc.string({ minLength: 1, unit: 'grapheme' }), fc.uint8Array(), traces, (name, payload, trace) => {
        const decoded = decode(encode(name, payload, trace));
        expect(decoded.name).toBe(name);
        expect(decoded.message.equals(Buffer.from(payload))).toBe(true);
        expect(decoded.trace).toEqual(trace);
      }),
    );
  });

  it("reads Piri's rows", () => {
    const body = Buffer.from('{"name":"egress-track-task","message":"eyIvIjoiYmFmeSJ9"}\n');
    expect(decode(body)).toEqual({ name: 'egress-track-task', message: Buffer.from('{"/":"bafy"}') });
  });

  it('matches field names case-insensitively, like Go', () => {
    expect(decode(Buffer.from('{"Name":"a","MESSAGE":"AQID","Trace":{"Trace_ID":"t","SPAN_id":"s","trace_FLAGS":3}}'))).toEqual({
      name: 'a',
      message: Buffer.from([1, 2, 3]),
      trace: { traceId: 't', spanId: 's', traceFlags: 3 },
    });
  });

  it("folds the Kelvin sign and the long s as Go's decoder does", () => {
    expect(decode(Buffer.from('{"name":"a","me\u017f\u017fage":"AQID"}')).message).toEqual(Buffer.from([1, 2, 3]));
  });

  it('ignores unknown fields and treats null as absent', () => {
    expect(decode(Buffer.from('{"name":"a","message":null,"trace":null,"extra":[1]}'))).toEqual({ name: 'a', message: Buffer.alloc(0) });
  });

  it("reads base64 as Go's StdEncoding: padded, CR and LF skipped anywhere, nothing else", () => {
    const accepted: Record<string, number[]> = {
      '': [],
      AQID: [1, 2, 3],
      'AQ==': [1],
      'AQI=': [1, 2],
      'A\\r\\nQ\\nI=': [1, 2],
      'AQ=\\r\\n=\\n': [1],
    };
    for (const [message, bytes] of Object.entries(accepted)) {
      expect(decode(Buffer.from(`{"name":"a","message":"${message}"}`)).message, message).toEqual(Buffer.from(bytes));
    }
    for (const message of ['AQ', 'AQI', 'A===', '====', 'AB=C', 'AQ==AQID', 'AQ=', 'AQ ID', 'AQ-_', 'AQ\\tD', 'AQI\u00e9', '=AQI']) {
      expect(() => decode(Buffer.from(`{"name":"a","message":"${message}"}`)), message).toThrow(
        'decode message envelope: envelope.message is not standard padded base64',
      );
    }
  });

  it('decodes messages of many MiB (a regexp over the base64 overflowed its stack from 3.25 MiB on)', () => {
    for (const size of [3.25 * 1024 * 1024 + 1, 64 * 1024 * 1024]) {
      const payload = Buffer.alloc(size, 0xa5);
      payload.writeUInt32BE(size, 0);
      expect(decode(encode('big', payload)).message.equals(payload), `${size} bytes`).toBe(true);
    }
  });

  it('rejects non-JSON with "decode message envelope"', () => {
    expect(() => decode(Buffer.from('not json'))).toThrow(EnvelopeError);
    expect(() => decode(Buffer.from('not json'))).toThrow(/^decode message envelope: /);
  });

  it('rejects a missing or empty name with "message envelope missing name"', () => {
    for (const body of ['{"message":"AQID"}', '{"name":"","message":""}', '{"name":null}', 'null']) {
      expect(() => decode(Buffer.from(body))).toThrow('message envelope missing name');
    }
  });

  it('rejects wrongly typed fields and bad base64 as decode errors', () => {
    for (const body of [
      '[]',
      '"x"',
      '{"name":1}',
      '{"name":"a","message":5}',
      '{"name":"a","message":"AQI"}',
      '{"name":"a","message":"AQ-D"}',
      '{"name":"a","trace":"x"}',
      '{"name":"a","trace":{"trace_id":"t","span_id":"s","trace_flags":256}}',
    ]) {
      expect(() => decode(Buffer.from(body)), body).toThrow(/^decode message envelope: /);
    }
  });
});
