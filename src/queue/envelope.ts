/**
 * Piri's message envelope (data-model §4.1): the bytes stored in jobqueue.body / jobs.body.
 *
 *   {"name":"<job name>","message":"<base64 std of the payload>","trace":{...}}\n
 *
 * Piri writes it with Go's json.Encoder. encode() reproduces that output byte for byte, so a row written by Piri and
 * one written by piri-db for the same job are identical (the dedup queue hashes only the payload, but the plain
 * queue's rows and any tooling that diffs them see the whole body). decode() reads it the way Go's json.Unmarshal
 * does: keys match case-insensitively (`Name`, `MESSAGE`), unknown keys are ignored, null leaves a field empty.
 */
import { errorMessage } from '../narrow.ts';

/** Piri's SpanContextPayload (lib/jobqueue/traceutil): W3C trace context of the enqueuing span. */
export interface EnvelopeTrace {
  /** 32 hex digits. */
  readonly traceId: string;
  /** 16 hex digits. */
  readonly spanId: string;
  /** W3C trace flags (uint8); omitted from the JSON when 0. */
  readonly traceFlags?: number;
  /** W3C tracestate header value; omitted from the JSON when empty. */
  readonly traceState?: string;
}

/** A queue message body as Piri writes it: the job name, its payload bytes and optional trace context. */
export interface Envelope {
  readonly name: string;
  readonly message: Buffer;
  readonly trace?: EnvelopeTrace;
}

/** A body that is not a valid envelope. The message texts are Piri's (data-model §4.1). */
export class EnvelopeError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The envelope bytes Go's json.Encoder writes for this job, trailing newline included. */
export function encode(jobName: string, payload: Uint8Array, trace?: EnvelopeTrace): Buffer {
  let json = `{"name":${goString(jobName)},"message":"${Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('base64')}"`;
  if (trace !== undefined) json += `,"trace":${encodeTrace(trace)}`;
  return Buffer.from(`${json}}\n`, 'utf8');
}

/** The length of encode(jobName, payload, trace) for a payload of `payloadBytes`, without encoding it. */
export function encodedLength(jobName: string, payloadBytes: number, trace?: EnvelopeTrace): number {
  return encode(jobName, new Uint8Array(0), trace).length + 4 * Math.ceil(payloadBytes / 3);
}

/** Reads an envelope; throws EnvelopeError for non-JSON, wrongly typed fields or a missing name. */
export function decode(body: Uint8Array): Envelope {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (error) {
    throw new EnvelopeError(`decode message envelope: ${errorMessage(error)}`, { cause: error });
  }
  const fields = goFields(parsed, 'envelope', ['name', 'message', 'trace']);
  const name = optionalString(fields.name, 'envelope.name') ?? '';
  if (name === '') throw new EnvelopeError('message envelope missing name');
  const message = decodeBase64(optionalString(fields.message, 'envelope.message') ?? '');
  const trace = fields.trace === undefined || fields.trace === null ? undefined : decodeTrace(fields.trace);
  return trace === undefined ? { name, message } : { name, message, trace };
}

function encodeTrace(trace: EnvelopeTrace): string {
  // Field order and omitempty rules of Piri's SpanContextPayload struct.
  let json = `{"trace_id":${goString(trace.traceId)},"span_id":${goString(trace.spanId)}`;
  if (trace.traceFlags !== undefined && trace.traceFlags !== 0) json += `,"trace_flags":${uint8(trace.traceFlags)}`;
  if (trace.traceState !== undefined && trace.traceState !== '') json += `,"trace_state":${goString(trace.traceState)}`;
  return `${json}}`;
}

function decodeTrace(value: unknown): EnvelopeTrace {
  const fields = goFields(value, 'envelope.trace', ['trace_id', 'span_id', 'trace_flags', 'trace_state']);
  const flags = fields.trace_flags;
  if (flags !== undefined && flags !== null && !(typeof flags === 'number' && Number.isInteger(flags) && flags >= 0 && flags <= 255)) {
    throw new EnvelopeError(`decode message envelope: envelope.trace.trace_flags is not a uint8: ${JSON.stringify(flags)}`);
  }
  const state = optionalString(fields.trace_state, 'envelope.trace.trace_state');
  return {
    traceId: optionalString(fields.trace_id, 'envelope.trace.trace_id') ?? '',
    spanId: optionalString(fields.span_id, 'envelope.trace.span_id') ?? '',
    ...(typeof flags === 'number' && flags !== 0 ? { traceFlags: flags } : {}),
    ...(state !== undefined && state !== '' ? { traceState: state } : {}),
  };
}

function uint8(value: number): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) throw new RangeError(`trace flags must be a uint8, got ${value}`);
  return value;
}

/**
 * The object's values for `names`, matched like Go's decoder: the key folds to the name (ASCII case-insensitive,
 * plus the two non-ASCII letters Go folds onto ASCII: U+017F long s and U+212A Kelvin sign); later keys win.
 * A JSON null at top level decodes to nothing, as in Go; any other non-object is a type error.
 */
function goFields<N extends string>(value: unknown, what: string, names: readonly N[]): Partial<Record<N, unknown>> {
  if (value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new EnvelopeError(`decode message envelope: cannot read ${jsonType(value)} into ${what}`);
  }
  const fields: Partial<Record<N, unknown>> = {};
  for (const [key, field] of Object.entries(value)) {
    const folded = foldKey(key);
    const name = names.find((candidate) => candidate === folded);
    if (name !== undefined) fields[name] = field;
  }
  return fields;
}

function foldKey(key: string): string {
  return key.replace(/[A-Z\u017f\u212a]/g, (c) => (c === '\u017f' ? 's' : c === '\u212a' ? 'k' : c.toLowerCase()));
}

/**
 * Go's rule: null leaves a string field empty; anything but a string is a type error. An escaped surrogate that is
 * not part of a pair (`"\ud800"`) reads as U+FFFD, as Go's decoder reads it: the name then has one form on both
 * backends (neither can store the lone surrogate) and is the one encode() writes for it.
 */
function optionalString(value: unknown, what: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new EnvelopeError(`decode message envelope: cannot read ${jsonType(value)} into ${what} (string)`);
  return value.replace(/[\ud800-\udfff]/gu, '\ufffd');
}

/** Go's StdEncoding: padded standard alphabet; CR and LF are skipped. Node's decoder would accept anything. */
function decodeBase64(text: string): Buffer {
  const compact = text.replace(/[\r\n]/g, '');
  if (!isPaddedBase64(compact)) throw new EnvelopeError('decode message envelope: envelope.message is not standard padded base64');
  return Buffer.from(compact, 'base64');
}

/**
 * Whole groups of four alphabet characters, the last one ending in `=` or `==`. A loop, not a regexp: matching a
 * pattern with a repeated group over a message of a few MiB overflows V8's regexp backtracking stack.
 */
function isPaddedBase64(text: string): boolean {
  if (text.length % 4 !== 0) return false;
  const end = text.length - (text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0);
  for (let i = 0; i < end; i++) {
    if (BASE64_ALPHABET[text.charCodeAt(i)] !== 1) return false;
  }
  return true;
}

/** 1 at the char code of each character of the standard alphabet (A-Z, a-z, 0-9, +, /). */
const BASE64_ALPHABET = (() => {
  const table = new Uint8Array(128);
  for (const char of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') table[char.charCodeAt(0)] = 1;
  return table;
})();

function jsonType(value: unknown): string {
  if (Array.isArray(value)) return 'array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'object' : typeof value;
}

const SHORT_ESCAPES: Readonly<Record<string, string>> = { '"': '\\"', '\\': '\\\\', '\b': '\\b', '\f': '\\f', '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/**
 * A JSON string exactly as Go's json.Encoder writes it (HTML escaping on, its default; Go 1.22+ short escapes):
 * <, >, & and U+2028/U+2029 as \u escapes, other control characters as \u00xx, everything else as is. An unpaired
 * surrogate has no UTF-8 form; it is written as \ufffd, as Go writes bytes that are not UTF-8.
 */
function goString(value: string): string {
  let out = '"';
  for (const char of value) {
    const code = char.codePointAt(0) ?? 0;
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) out += short;
    else if (code < 0x20 || char === '<' || char === '>' || char === '&' || code === 0x2028 || code === 0x2029) {
      out += `\\u${code.toString(16).padStart(4, '0')}`;
    } else if (code >= 0xd800 && code <= 0xdfff) out += '\\ufffd';
    else out += char;
  }
  return `${out}"`;
}
