/**
 * Piri's envelope (data-model §4.1) under arbitrary names, payloads and traces: encode() writes JSON as Go's encoder does
 * and decode() reads back exactly what was encoded (a name's unpaired surrogates read as U+FFFD, as Go reads them);
 * decode() reads keys in any case (Go's folding) with the last one winning, and refuses anything else with an
 * EnvelopeError carrying Piri's text, never another exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode, encode, type Envelope, EnvelopeError, type EnvelopeTrace } from '../../src/queue/envelope.ts';
import { bodyBytes, fcParameters, hostileString, sha256, wellFormed } from './support.ts';

const trace: fc.Arbitrary<EnvelopeTrace> = fc.record(
  {
    traceId: fc.oneof(fc.stringMatching(/^[0-9a-f]{32}$/), hostileString()),
    spanId: fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), hostileString()),
    traceFlags: fc.integer({ min: 0, max: 255 }),
    traceState: hostileString({ maxLength: 20 }),
  },
  { requiredKeys: ['traceId', 'spanId'] },
);

/** What decode() gives back for what encode() was given. */
function expected(name: string, payload: Uint8Array, t: EnvelopeTrace | undefined): Envelope {
  const envelope = { name: wellFormed(name), message: Buffer.from(payload) };
  if (t === undefined) return envelope;
  return {
    ...envelope,
    trace: {
      traceId: wellFormed(t.traceId),
      spanId: wellFormed(t.spanId),
      ...(t.traceFlags ? { traceFlags: t.traceFlags } : {}),
      ...(t.traceState ? { traceState: wellFormed(t.traceState) } : {}),
    },
  };
}

function expectPiriError(error: unknown): void {
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as Error).message).toMatch(/^(decode message envelope: .+|message envelope missing name)$/s);
}

describe('envelope encode/decode', () => {
  it('round-trips any name, payload and trace', () => {
    fc.assert(
      fc.property(hostileString({ minLength: 1, maxLength: 30 }), bodyBytes, fc.option(trace, { nil: undefined }), (name, payload, t) => {
        const bytes = encode(name, payload, t);
        expect(digested(decode(bytes))).toEqual(digested(expected(name, payload, t)));
        // What was read encodes to bytes that read the same (the same bytes unless a surrogate was unpaired: Go
        // writes bytes that are not UTF-8 as the escape \ufffd, and U+FFFD itself as is).
        const again = decode(bytes);
        const reencoded = encode(again.name, again.message, again.trace);
        expect(digested(decode(reencoded))).toEqual(digested(again));
        const texts = [name, ...(t === undefined ? [] : [t.traceId, t.spanId, t.traceState ?? ''])];
        if (texts.every((text) => wellFormed(text) === text)) expect(reencoded.equals(bytes)).toBe(true);
      }),
      fcParameters(400),
    );
  });

  it('writes one line of JSON, valid UTF-8, with Go\'s escapes (no raw <, >, &, U+2028, U+2029 or control characters)', () => {
    fc.assert(
      fc.property(hostileString({ maxLength: 30 }), fc.uint8Array({ maxLength: 64 }), fc.option(trace, { nil: undefined }), (name, payload, t) => {
        const bytes = encode(name, payload, t);
        const text = bytes.toString('utf8');
        expect(Buffer.from(text, 'utf8').equals(bytes)).toBe(true);
        expect(text.endsWith('}\n')).toBe(true);
        const body = text.slice(0, -1);
        expect(body).not.toMatch(/[\u0000-\u001f<>&\u2028\u2029]/);
        const json = JSON.parse(body) as { name: string; message: string; trace?: Record<string, unknown> };
        expect(json.name).toBe(wellFormed(name));
        expect(json.message).toBe(Buffer.from(payload).toString('base64'));
        expect(Object.keys(json)).toEqual(t === undefined ? ['name', 'message'] : ['name', 'message', 'trace']);
      }),
      fcParameters(400),
    );
  });

  it('refuses an empty name with Piri\'s text', () => {
    fc.assert(
      fc.property(bodyBytes, (payload) => {
        expect(() => decode(encode('', payload))).toThrow(new EnvelopeError('message envelope missing name'));
      }),
      fcParameters(50),
    );
  });

  it('reads keys in any case, Go\'s folds included, the last one winning', () => {
    /** A spelling of `key` that Go's decoder matches to it: any ASCII case, s as U+017F, k as U+212A. */
    const spelling = (key: string) =>
      fc.tuple(...[...key].map((c) => fc.constantFrom(...new Set([c, c.toUpperCase(), ...(c === 's' ? ['\u017f'] : []), ...(c === 'k' ? ['\u212a'] : [])])))).map((chars) => chars.join(''));
    const field = (key: string, value: fc.Arbitrary<string>) => fc.tuple(spelling(key), value);
    const base64 = bodyBytes.map((b) => Buffer.from(b).toString('base64'));
    fc.assert(
      fc.property(
        fc.array(field('name', hostileString({ minLength: 1 })), { minLength: 1, maxLength: 3 }),
        fc.array(field('message', base64), { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.constantFrom('other', 'names', 'msg', 'Trace_ID'), fc.jsonValue()), { maxLength: 2 }),
        (names, messages, extra) => {
          // Object entries keep insertion order; an exact repeat of a key would move, so the spellings are made distinct.
          const entries = [...names, ...messages, ...extra];
          const seen = new Set<string>();
          const unique = entries.filter(([key]) => !seen.has(key) && seen.add(key));
          const lastOf = (folded: string) => unique.filter(([key]) => fold(key) === folded).at(-1)?.[1] as string;
          const text = `{${unique.map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`).join(',')}}`;
          const name = lastOf('name');
          if (wellFormed(name) === '') return;
          const envelope = decode(Buffer.from(text));
          expect(envelope.name).toBe(wellFormed(name));
          expect(envelope.message.toString('base64')).toBe(lastOf('message'));
        },
      ),
      fcParameters(300),
    );
  });

  it('refuses anything that is not an envelope with an EnvelopeError in Piri\'s words, and nothing else', () => {
    const notEnvelope = fc.oneof(
      fc.uint8Array({ maxLength: 64 }),
      fc.json().map((json) => Buffer.from(json)),
      fc.jsonValue().map((value) => Buffer.from(JSON.stringify({ name: value, message: value }) ?? 'null')),
      fc.record({ name: fc.jsonValue(), message: fc.jsonValue(), trace: fc.jsonValue() }, { requiredKeys: [] }).map((o) => Buffer.from(JSON.stringify(o))),
      fc.tuple(hostileString(), fc.string({ unit: 'binary', maxLength: 12 })).map(([name, message]) => Buffer.from(JSON.stringify({ name, message }))),
    );
    fc.assert(
      fc.property(notEnvelope, (bytes) => {
        let envelope: Envelope;
        try {
          envelope = decode(bytes);
        } catch (error) {
          expectPiriError(error);
          return;
        }
        // Accepted: then it reads as a proper envelope, and encoding what was read reads back the same.
        expect(envelope.name).not.toBe('');
        expect(envelope.name).toBe(wellFormed(envelope.name));
        expect(decode(encode(envelope.name, envelope.message, envelope.trace))).toEqual(envelope);
      }),
      fcParameters(1000),
    );
  });
});

/** The envelope with its payload as a digest: deep equality over 64 KiB Buffers is slow. */
function digested(envelope: Envelope): Omit<Envelope, 'message'> & { message: string } {
  return { ...envelope, message: `${envelope.message.length}:${sha256(envelope.message)}` };
}

function fold(key: string): string {
  return key.replace(/[A-Z\u017f\u212a]/g, (c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c.toLowerCase()));
}
