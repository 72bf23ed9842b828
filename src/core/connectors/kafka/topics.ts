/**
 * Which topics a tap follows. A user names topics exactly (`orders`) or by pattern: a
 * RegExp, a string written `/payments\./`, a string starting with `^` (kcat's and
 * librdkafka's spelling: no topic name can start with it), or a single string passed
 * instead of a list, which is always a pattern.
 *
 * A pattern is searched in the topic name, not anchored to all of it, as kafkajs
 * (`RegExp.test`) and librdkafka do: `/^payments\./` matches `payments.created`, `/orders/`
 * matches `eu.orders.v2`; whoever wants the whole name anchors both ends (`/^orders$/`).
 * Internal topics (`__consumer_offsets`, …) never match a pattern.
 */
export type TopicSpec = string | RegExp | (string | RegExp)[];

export interface TopicSelector {
  names: Set<string>;
  patterns: RegExp[];
  /** A readable form for status messages. */
  label: string;
}

export function parseTopics(spec: TopicSpec): TopicSelector {
  const names = new Set<string>();
  const patterns: RegExp[] = [];
  const items = typeof spec === 'string' ? [toRegExp(unslash(spec))] : spec instanceof RegExp ? [spec] : spec;
  for (const item of items) {
    // Global/sticky flags would make test() stateful.
    if (item instanceof RegExp) patterns.push(new RegExp(item.source, item.flags.replace(/[gy]/g, '')));
    else if (isSlashed(item)) patterns.push(toRegExp(item.slice(1, -1)));
    else if (item.startsWith('^')) patterns.push(toRegExp(item));
    else if (item.length > 0) names.add(item);
  }
  if (names.size === 0 && patterns.length === 0) throw new Error('No topic to tap: name at least one topic or pattern.');
  const label = [...names, ...patterns.map((p) => `/${p.source}/`)].join(', ');
  return { names, patterns, label };
}

function isSlashed(s: string): boolean {
  return s.length > 2 && s.startsWith('/') && s.endsWith('/');
}

function unslash(s: string): string {
  return isSlashed(s) ? s.slice(1, -1) : s;
}

function toRegExp(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new Error(`Topic pattern ${source} is not a valid regular expression: ${(err as Error).message}`);
  }
}

/** Topics of `existing` the selector covers, sorted. */
export function matchTopics(sel: TopicSelector, existing: Iterable<string>): string[] {
  const out: string[] = [];
  for (const t of existing) {
    if (sel.names.has(t)) out.push(t);
    else if (!t.startsWith('__') && sel.patterns.some((p) => p.test(t))) out.push(t);
  }
  return out.sort();
}

/** Topics listed at most in a status line. */
const LISTED = 20;

/**
 * What the selector waits for, for a status line: named topics that do not exist and
 * patterns that match none, with the topics that do exist, closest to what was asked
 * first (longest common start with a name or with a pattern's literal start), so a typo
 * shows at once. Undefined when every name exists and every pattern matches.
 */
export function unmatchedDetail(sel: TopicSelector, existing: readonly string[]): string | undefined {
  const missing = [...sel.names].filter((n) => !existing.includes(n));
  const user = existing.filter((t) => !t.startsWith('__'));
  const idle = sel.patterns.filter((p) => !user.some((t) => p.test(t)));
  if (missing.length === 0 && idle.length === 0) return undefined;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`Waiting for topic ${missing.join(', ')} to exist`);
  if (idle.length > 0) parts.push(`${missing.length > 0 ? 'and for' : 'Waiting for'} a topic matching ${idle.map((p) => `/${p.source}/`).join(', ')}`);
  const wanted = [...missing, ...idle.map(literalStart)].filter((w) => w.length > 0);
  const closeness = (t: string): number => Math.max(0, ...wanted.map((w) => commonStart(t, w)));
  const ranked = [...user].sort((a, b) => closeness(b) - closeness(a) || (a < b ? -1 : a > b ? 1 : 0));
  const shown = ranked.slice(0, LISTED).join(', ');
  const more = user.length > LISTED ? ` and ${user.length - LISTED} more` : '';
  return `${parts.join(' ')}; ${user.length === 0 ? 'the broker has no topics yet' : `topics on the broker: ${shown}${more}`}`;
}

/** The text every match of an anchored pattern starts with (`^payments\.` → `payments.`); empty when unanchored. */
function literalStart(p: RegExp): string {
  const src = p.source;
  if (!src.startsWith('^')) return '';
  let out = '';
  for (let i = 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === '\\') {
      const next = src[i + 1];
      if (next === undefined || /[a-zA-Z0-9]/.test(next)) break;
      out += next;
      i++;
    } else if ('.*+?()[]{}|^$'.includes(c)) {
      // A quantifier makes the character before it optional.
      if ('*?{'.includes(c)) out = out.slice(0, -1);
      break;
    } else {
      out += c;
    }
  }
  return out;
}

function commonStart(a: string, b: string): number {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}
