/**
 * Which topics a tap follows. A user names topics exactly (`orders`) or by pattern: a
 * RegExp, a string written `/orders\..*\/`, or a single string passed instead of a list,
 * which is always a pattern. Internal topics (`__consumer_offsets`, …) never match a
 * pattern; they can still be named exactly.
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
  const items = typeof spec === 'string' ? [toRegExp(spec)] : spec instanceof RegExp ? [spec] : spec;
  for (const item of items) {
    // A RegExp is used as given (not anchored); global/sticky flags would make test() stateful.
    if (item instanceof RegExp) patterns.push(new RegExp(item.source, item.flags.replace(/[gy]/g, '')));
    else if (item.length > 2 && item.startsWith('/') && item.endsWith('/')) patterns.push(toRegExp(item.slice(1, -1)));
    else if (item.length > 0) names.add(item);
  }
  if (names.size === 0 && patterns.length === 0) throw new Error('No topic to tap: name at least one topic or pattern.');
  const label = [...names, ...patterns.map((p) => `/${p.source}/`)].join(', ');
  return { names, patterns, label };
}

function toRegExp(source: string): RegExp {
  try {
    // Anchored like Kafka's own pattern subscriptions: the whole topic name must match.
    return new RegExp(`^(?:${source})$`);
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
