import { describe, expect, it } from 'vitest';
import { redactSecrets, redactUrl, urlSecrets } from '../../src/config/redact.ts';

const PASSWORD = 'Tr0ub4dor-zebra';

describe('redactUrl', () => {
  it.each([
    ['postgres://piri:Tr0ub4dor-zebra@db:5432/piri?sslmode=require', 'postgres://piri:***@db:5432/piri?sslmode=require'],
    ['postgresql://piri:Tr0ub4dor-zebra@db/piri', 'postgresql://piri:***@db/piri'],
    ['postgres://:Tr0ub4dor-zebra@db/piri', 'postgres://:***@db/piri'],
    // Does not parse as a URL: still masked.
    ['postgres//piri:Tr0ub4dor-zebra@db/piri', 'postgres//piri:***@db/piri'],
    ['piri:Tr0ub4dor-zebra@db:5432/piri', 'piri:***@db:5432/piri'],
    // Unencoded '@', '/' and '#' in the password.
    ['postgres://piri:Tr0ub@4dor/ze#bra@db/piri', 'postgres://piri:***@db/piri'],
    ['postgres://piri:Tr0ub4dor-zebra@db/piri?password=Tr0ub4dor-zebra', 'postgres://piri:***@db/piri?password=***'],
    ['postgres://db/piri?user=piri&password=Tr0ub4dor-zebra&sslmode=disable', 'postgres://db/piri?user=piri&password=***&sslmode=disable'],
    ['host=db user=piri password=Tr0ub4dor-zebra dbname=piri', 'host=db user=piri password=*** dbname=piri'],
  ])('masks %s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });

  it.each(['postgres://piri@db:5432/piri', 'postgres://db/piri', 'sqlite', '', 'not a url at all'])(
    'leaves %j without a password alone',
    (url) => {
      expect(redactUrl(url)).toBe(url);
    },
  );
});

describe('urlSecrets', () => {
  it('returns the password as written and percent-decoded', () => {
    expect(urlSecrets('postgres://piri:p%40ss%2Fword@db/piri')).toEqual(['p%40ss%2Fword', 'p@ss/word']);
  });

  it('includes password parameters and ignores empty passwords', () => {
    expect(urlSecrets('postgres://piri:@db/piri?password=s3cret')).toEqual(['s3cret', 's3cret']);
    expect(urlSecrets('postgres://piri@db/piri')).toEqual([]);
  });
});

describe('redactSecrets', () => {
  it('replaces every occurrence, plain and URL-encoded', () => {
    const secret = 'p@ss word';
    const text = `auth failed for "p@ss word"; retried with p%40ss%20word; p@ss word again`;
    expect(redactSecrets(text, [secret])).toBe('auth failed for "***"; retried with ***; *** again');
  });

  it('masks a secret that contains another one whole', () => {
    expect(redactSecrets('key=abcdef', ['abc', 'abcdef'])).toBe('key=***');
  });

  it('ignores empty secrets and leaves text without secrets unchanged', () => {
    expect(redactSecrets('nothing to hide', ['', 'absent'])).toBe('nothing to hide');
  });

  it('cleans a driver message quoting the password of a URL', () => {
    const url = `postgres://piri:${encodeURIComponent(`${PASSWORD}/x`)}@db/piri`;
    const message = `password authentication failed: ${PASSWORD}/x (${url})`;
    const cleaned = redactSecrets(message, urlSecrets(url));
    expect(cleaned).not.toContain(PASSWORD);
    expect(cleaned).toBe('password authentication failed: *** (postgres://piri:***@db/piri)');
  });

  it('does not throw on malformed percent-encoding or lone surrogates', () => {
    expect(redactSecrets('a %E0%A4%A b', urlSecrets('postgres://u:%E0%A4%A@h'))).toBe('a *** b');
    expect(redactSecrets('x\uD800y', ['\uD800'])).toBe('x***y');
  });
});
