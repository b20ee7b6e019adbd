/**
 * Go's time.Duration text format, so values from Piri's config (`conn_max_lifetime = "30m"`) read the same here.
 * Parsing follows time.ParseDuration exactly: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+` or a bare "0", units ns us µs ms
 * s m h, fractions truncated to the nanosecond, and the int64-nanosecond range.
 */
const NS_PER_UNIT: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  'µs': 1_000n, // U+00B5 MICRO SIGN
  'μs': 1_000n, // U+03BC GREEK SMALL LETTER MU
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

const MAX_NS = (1n << 63n) - 1n;
const COMPONENT = /^(\d*)(?:\.(\d*))?([^\d.]*)/;

/** Parses Go duration text into milliseconds (fractional below 1 ms). Throws a plain Error with a short reason. */
export function parseGoDuration(text: string): number {
  const negative = text.startsWith('-');
  let rest = negative || text.startsWith('+') ? text.slice(1) : text;
  if (rest === '0') return 0;
  if (rest === '') throw new Error('empty duration');

  let ns = 0n;
  while (rest !== '') {
    const [component = '', whole = '', fraction, unit = ''] = COMPONENT.exec(rest) ?? [];
    if (whole === '' && !fraction) throw new Error('expected a number followed by a unit');
    if (unit === '') throw new Error('missing unit (ns, us, µs, ms, s, m or h)');
    const perUnit = NS_PER_UNIT[unit];
    // The reason never quotes the input: a mistyped value may be a URL with a password in it.
    if (perUnit === undefined) throw new Error('unknown unit (use ns, us, µs, ms, s, m or h)');
    ns += BigInt(whole || '0') * perUnit;
    if (fraction) ns += (BigInt(fraction) * perUnit) / 10n ** BigInt(fraction.length);
    if (ns > MAX_NS + (negative ? 1n : 0n)) throw new Error('out of range (more than about 292 years)');
    rest = rest.slice(component.length);
  }
  return Number(negative ? -ns : ns) / 1e6;
}

/** Formats milliseconds as Go's Duration.String() does: "30m0s", "1h30m0s", "1.5s", "500ms", "0s". */
export function formatDuration(ms: number): string {
  const ns = BigInt(Math.round(ms * 1e6));
  if (ns === 0n) return '0s';
  const sign = ns < 0n ? '-' : '';
  const abs = ns < 0n ? -ns : ns;
  if (abs < 1_000n) return `${sign}${abs}ns`;
  if (abs < 1_000_000n) return `${sign}${decimal(abs, 3)}µs`;
  if (abs < 1_000_000_000n) return `${sign}${decimal(abs, 6)}ms`;

  const seconds = `${decimal(abs % 60_000_000_000n, 9)}s`;
  const minutes = abs / 60_000_000_000n;
  if (minutes === 0n) return `${sign}${seconds}`;
  const hours = minutes / 60n;
  return `${sign}${hours > 0n ? `${hours}h` : ''}${minutes % 60n}m${seconds}`;
}

/** `value / 10^digits` written with the fraction's trailing zeros dropped. */
function decimal(value: bigint, digits: number): string {
  const scale = 10n ** BigInt(digits);
  const fraction = (value % scale).toString().padStart(digits, '0').replace(/0+$/, '');
  return fraction === '' ? `${value / scale}` : `${value / scale}.${fraction}`;
}
