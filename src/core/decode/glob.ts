/**
 * Destination patterns of decoder rules: an exact name, or a glob where `*` is any run of
 * characters (dots and slashes included: `orders.*` takes `orders.eu.v2`) and `?` one.
 * Matched by hand, not through a RegExp: a pattern comes with a shared session file, and
 * `*a*a*a*a*b` as a regular expression backtracks exponentially on a long name; this walk
 * is at most length × pattern length.
 */
export function destinationMatcher(pattern: string): (destination: string) => boolean {
  if (!/[*?]/.test(pattern)) return (d) => d === pattern;
  return (d) => globMatch(pattern, d);
}

function globMatch(p: string, s: string): boolean {
  let pi = 0;
  let si = 0;
  let star = -1;
  let mark = 0;
  while (si < s.length) {
    if (pi < p.length && (p[pi] === '?' || (p[pi] !== '*' && p[pi] === s[si]))) {
      pi++;
      si++;
    } else if (pi < p.length && p[pi] === '*') {
      star = pi++;
      mark = si;
    } else if (star >= 0) {
      pi = star + 1;
      si = ++mark;
    } else {
      return false;
    }
  }
  while (pi < p.length && p[pi] === '*') pi++;
  return pi === p.length;
}
