/** Query parameters whose values are treated as secrets wherever a URL is shown or stored. */
export const SECRET_PARAM = /token|secret|pass|auth|key|sig|session|jwt|code|cred/i;

/** Replaces the values of credential-looking query parameters with `redacted`, in place. */
export function hideSecretParams(u: URL): URL {
  for (const name of [...new Set(u.searchParams.keys())]) {
    if (SECRET_PARAM.test(name)) u.searchParams.set(name, 'redacted');
  }
  return u;
}
