/**
 * Whether an MQTT topic filter matches a topic name (MQTT 5 §4.7): `+` one whole level,
 * `#` the rest (including the parent level itself), and a wildcard first level never
 * matches a topic starting with `$` (§4.7.2). A shared subscription (`$share/group/filter`,
 * §4.8.2) matches as its filter.
 */
export function filterMatches(filter: string, topic: string): boolean {
  let f = filter;
  if (f.startsWith('$share/')) {
    const cut = f.indexOf('/', '$share/'.length);
    if (cut < 0) return false;
    f = f.slice(cut + 1);
  }
  if (topic.startsWith('$') && (f.startsWith('+') || f.startsWith('#'))) return false;
  const fl = f.split('/');
  const tl = topic.split('/');
  for (let i = 0; i < fl.length; i++) {
    const level = fl[i]!;
    if (level === '#') return true;
    if (i >= tl.length) return false;
    if (level !== '+' && level !== tl[i]) return false;
  }
  return fl.length === tl.length;
}
