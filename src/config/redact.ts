/**
 * Password masking. Every message or log line that may carry a connection URL passes through here, so a
 * password never reaches a terminal, a log file or an error report.
 *
 * The scan does not rely on a URL parser: a URL that does not parse (an unencoded '@' or '/' in the password,
 * a typo in the scheme) must be masked too. When in doubt it masks more than the password, never less.
 */
const MASK = '***';
const PASSWORD_PARAM = /(\bpassword=)([^&\s]*)/gi;

/** The URL with its password (userinfo and any `password=` parameter) replaced by '***'. */
export function redactUrl(url: string): string {
  return scanUrl(url).redacted;
}

/**
 * The secrets a URL carries, as written and percent-decoded, for redactSecrets. Used to clean text that may
 * quote a URL or its password in some other shape (a driver's error message, another config value).
 */
export function urlSecrets(url: string): string[] {
  return scanUrl(url).secrets.flatMap((secret) => [secret, percentDecoded(secret)]);
}

/** Replaces every occurrence of each secret, and of its URL-encoded form, with '***'. Empty secrets are ignored. */
export function redactSecrets(text: string, secrets: readonly string[]): string {
  const forms = secrets.flatMap((secret) => [secret, percentEncoded(secret)]).filter((form) => form !== '');
  // Longest first, so a secret that contains another one is masked whole.
  return [...new Set(forms)]
    .sort((a, b) => b.length - a.length)
    .reduce((result, form) => result.split(form).join(MASK), text);
}

function scanUrl(url: string): { redacted: string; secrets: string[] } {
  const secrets: string[] = [];
  let redacted = url;
  // userinfo is everything between the scheme and the LAST '@': a password may hold an unencoded '@'.
  const schemeEnd = url.indexOf('://');
  const authorityStart = schemeEnd === -1 ? 0 : schemeEnd + 3;
  const at = url.lastIndexOf('@');
  const colon = url.indexOf(':', authorityStart);
  if (colon !== -1 && colon < at) {
    secrets.push(url.slice(colon + 1, at));
    redacted = `${url.slice(0, colon + 1)}${MASK}${url.slice(at)}`;
  }
  redacted = redacted.replace(PASSWORD_PARAM, (_match, name: string, value: string) => {
    secrets.push(value);
    return `${name}${MASK}`;
  });
  return { redacted, secrets: secrets.filter((secret) => secret !== '') };
}

// Redaction runs on error paths: it must not throw on text that is not valid percent-encoding or UTF-16.
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

function percentEncoded(text: string): string {
  try {
    return encodeURIComponent(text);
  } catch {
    return text;
  }
}
