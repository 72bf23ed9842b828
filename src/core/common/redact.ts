/**
 * Credential redaction: the one place that decides what of a URL or a text may be shown,
 * logged or stored. Passwords, credential user info and secret-looking query parameters
 * never reach a label, a status message, a log line or a session file.
 *
 * The variants differ in what the reader needs to see:
 * - `hidePassword`: endpoint labels and session files. The user name stays (it tells
 *   endpoints apart); the password goes without a trace.
 * - `maskPassword`: messages about a connection the user configured. The password shows
 *   as `***`, so the user can tell that one was given.
 * - `hideUserinfo`: URLs whose user info is itself the credential (a WebSocket URL's
 *   `user:token@` is sent as HTTP basic auth), so the user name goes too.
 * - `redactText`: free text (log lines, a client library's error): every `//user:pass@` in
 *   it is masked, and passwords known to the caller are replaced wherever they appear.
 *
 * Every variant hides the values of secret-looking query parameters and accepts strings
 * that are not URLs: those are redacted textually instead of being returned as they are.
 */

/** Query parameters whose values are treated as secrets wherever a URL is shown or stored. */
const SECRET_PARAM = /token|secret|pass|auth|key|sig|session|jwt|code|cred/i;

/** What stands in for a password that the reader may know was there. */
const MASK = '***';

/** What stands in for a secret query parameter's value. */
const HIDDEN_VALUE = 'redacted';

/**
 * `//user:password@` in text that no URL parser accepts. The password runs to the last `@`
 * of the word, so an unencoded `@` or `/` in it is still covered.
 */
const TEXT_USERINFO = /\/\/([^\s/?#@:]*)(?::(\S*))?@/g;
/** `?name=value` / `&name=value` in text. */
const TEXT_PARAM = /([?&])([^=&#\s]+)=([^&#\s]*)/g;
/** Shorter known secrets are not replaced in text: a one-letter password would shred it. */
const MIN_SECRET_LENGTH = 3;

/** What becomes of a URL's user info: parsed URLs can keep the user name alone, text cannot. */
type Userinfo = 'keep-user' | TextUserinfo;
type TextUserinfo = 'mask-password' | 'drop';

/** Replaces the values of credential-looking query parameters with `redacted`, in place. */
function hideSecretParams(u: URL): URL {
  for (const name of [...new Set(u.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) u.searchParams.set(name, HIDDEN_VALUE);
  }
  return u;
}

/**
 * A URL for labels and session files: no password, secret parameters hidden, the user name
 * kept. Text that is not a URL loses any `//user:pass@` entirely, since a user name cannot
 * be told from a password there.
 */
export function hidePassword(raw: string): string {
  return redactUrl(raw, 'keep-user', 'drop');
}

/** A URL for status and error messages: the password shown as `***`, secret parameters hidden. */
export function maskPassword(raw: string): string {
  return redactUrl(raw, 'mask-password', 'mask-password');
}

/** A URL without any user info (user name and password), secret parameters hidden. */
export function hideUserinfo(raw: string): string {
  return redactUrl(raw, 'drop', 'drop');
}

/**
 * Free text made safe to show or log: every `//user:pass@` masked, secret query
 * parameters hidden, and each of `secrets` (in its raw, URL-encoded and URL-decoded forms)
 * replaced by `***`. The text is otherwise left exactly as it was.
 */
export function redactText(text: string, secrets: readonly (string | null | undefined)[] = []): string {
  let out = redactTextual(text, 'mask-password');
  for (const form of secretForms(secrets)) out = out.split(form).join(MASK);
  return out;
}

/** The decoded password of a URL, or null: kept only in memory, to redact messages with. */
export function passwordOf(raw: string): string | null {
  try {
    const p = new URL(raw).password;
    return p ? decodeLoosely(p) : null;
  } catch {
    return null;
  }
}

function redactUrl(raw: string, parsed: Userinfo, textual: TextUserinfo): string {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return redactTextual(raw, textual);
  }
  if (parsed === 'drop') u.username = '';
  if (u.password) u.password = parsed === 'mask-password' ? MASK : '';
  return hideSecretParams(u).toString();
}

function redactTextual(text: string, userinfo: TextUserinfo): string {
  return text
    .replace(TEXT_USERINFO, (_m, user: string, password: string | undefined) => {
      if (userinfo === 'drop') return '//';
      return password === undefined ? `//${user}@` : `//${user}:${MASK}@`;
    })
    .replace(TEXT_PARAM, (m, sep: string, name: string) => (SECRET_PARAM.test(name) ? `${sep}${name}=${HIDDEN_VALUE}` : m));
}

function secretForms(secrets: readonly (string | null | undefined)[]): string[] {
  const forms = new Set<string>();
  for (const s of secrets) {
    if (!s) continue;
    for (const f of [s, encodeURIComponent(s), decodeLoosely(s)]) if (f.length >= MIN_SECRET_LENGTH) forms.add(f);
  }
  // Longest first, so a form that contains another is replaced whole.
  return [...forms].sort((a, b) => b.length - a.length);
}

function decodeLoosely(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
