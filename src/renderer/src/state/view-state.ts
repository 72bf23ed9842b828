import { FIELD_PATH, type MessageFilter } from '../../../shared/filter.ts';

export const VIEWS = ['messages', 'flow', 'conversations', 'undelivered', 'timeline'] as const;
export type ViewId = (typeof VIEWS)[number];

export const VIEW_LABELS: Record<ViewId, string> = {
  messages: 'Messages',
  flow: 'Flow',
  conversations: 'Conversations',
  undelivered: 'Undelivered',
  timeline: 'Timeline',
};

export const COLUMNS = ['seq', 'time', 'transport', 'event', 'destination', 'position', 'key', 'correlationId', 'size', 'preview'] as const;
export type ColumnId = (typeof COLUMNS)[number];
export const DEFAULT_COLUMNS: ColumnId[] = ['seq', 'time', 'transport', 'event', 'destination', 'position', 'correlationId', 'size', 'preview'];

/** What the URL holds: enough to restore (and share) a view. */
export interface ViewState {
  sessionId: string | null;
  view: ViewId;
  filter: MessageFilter;
  selectedSeq: number | null;
  detailOpen: boolean;
  columns: ColumnId[];
}

const TRANSPORTS = ['kafka', 'amqp', 'ws', 'mqtt', 'nats'] as const;
const EVENTS = ['publish', 'deliver', 'return', 'frame-out', 'frame-in', 'open', 'close', 'error', 'subscribe', 'unsubscribe', 'ack'] as const;

function num(v: string | null): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  return Number.isFinite(n) ? n : undefined;
}

/** Reads the view state from URL search params; unknown or malformed values are ignored. */
export function parseViewState(search: string): ViewState {
  const p = new URLSearchParams(search);
  const view = p.get('view');
  const filter: MessageFilter = {};
  const dests = p.getAll('dest');
  if (dests.length) filter.destinations = dests.slice(0, 200);
  const transports = p.getAll('transport').filter((t): t is (typeof TRANSPORTS)[number] => (TRANSPORTS as readonly string[]).includes(t));
  if (transports.length) filter.transports = transports;
  const events = p.getAll('event').filter((e): e is (typeof EVENTS)[number] => (EVENTS as readonly string[]).includes(e));
  if (events.length) filter.events = events;
  const from = num(p.get('from'));
  if (from !== undefined) filter.fromTime = from;
  const to = num(p.get('to'));
  if (to !== undefined) filter.toTime = to;
  const corr = p.get('corr');
  if (corr) filter.correlationId = corr;
  const key = p.get('key');
  if (key) filter.key = key;
  const header = p.get('header');
  if (header) filter.header = parseHeaderFilter(header);
  const field = p.get('field');
  if (field) filter.field = parseFieldFilter(field);
  const text = p.get('q');
  if (text) filter.text = text;
  const cols = p.get('cols');
  const columns = cols
    ? cols.split(',').filter((c): c is ColumnId => (COLUMNS as readonly string[]).includes(c))
    : DEFAULT_COLUMNS;
  const seqNum = num(p.get('seq'));
  const seq = seqNum !== undefined && seqNum > 0 ? Math.floor(seqNum) : null;
  return {
    sessionId: p.get('session'),
    view: (VIEWS as readonly string[]).includes(view ?? '') ? (view as ViewId) : 'messages',
    filter,
    selectedSeq: seq,
    detailOpen: p.get('detail') === '1' && seq !== null,
    columns: columns.length ? columns : DEFAULT_COLUMNS,
  };
}

export function serializeViewState(s: ViewState): string {
  const p = new URLSearchParams();
  if (s.sessionId) p.set('session', s.sessionId);
  if (s.view !== 'messages') p.set('view', s.view);
  const f = s.filter;
  for (const d of f.destinations ?? []) p.append('dest', d);
  for (const t of f.transports ?? []) p.append('transport', t);
  for (const e of f.events ?? []) p.append('event', e);
  if (f.fromTime !== undefined) p.set('from', String(Math.round(f.fromTime)));
  if (f.toTime !== undefined) p.set('to', String(Math.round(f.toTime)));
  if (f.correlationId) p.set('corr', f.correlationId);
  if (f.key) p.set('key', f.key);
  if (f.header) p.set('header', formatHeaderFilter(f.header));
  if (f.field) p.set('field', formatHeaderFilter({ name: f.field.path, ...(f.field.value !== undefined ? { value: f.field.value } : {}) }));
  if (f.text) p.set('q', f.text);
  if (s.selectedSeq !== null) p.set('seq', String(s.selectedSeq));
  if (s.detailOpen && s.selectedSeq !== null) p.set('detail', '1');
  if (s.columns.join(',') !== DEFAULT_COLUMNS.join(',')) p.set('cols', s.columns.join(','));
  const out = p.toString();
  return out ? `?${out}` : '';
}

/** `name` or `name=value`, as typed in the header filter field. */
export function parseHeaderFilter(v: string): MessageFilter['header'] {
  const t = v.trim();
  if (!t) return undefined;
  const eq = t.indexOf('=');
  if (eq < 0) return { name: t };
  const name = t.slice(0, eq).trim();
  if (!name) return undefined;
  return { name, value: t.slice(eq + 1) };
}

/** `path` or `path=value`, as typed in the field filter; undefined for a path the filter cannot take. */
export function parseFieldFilter(v: string): MessageFilter['field'] {
  const h = parseHeaderFilter(v);
  if (!h || !FIELD_PATH.test(h.name)) return undefined;
  return h.value === undefined ? { path: h.name } : { path: h.name, value: h.value };
}

export function formatHeaderFilter(h: NonNullable<MessageFilter['header']>): string {
  return h.value === undefined ? h.name : `${h.name}=${h.value}`;
}

export function isEmptyFilter(f: MessageFilter): boolean {
  return Object.values(f).every((v) => v === undefined || (Array.isArray(v) && v.length === 0));
}

/** Drops undefined fields and empty arrays so the filter compares and serialises cleanly. */
export function cleanFilter(f: MessageFilter): MessageFilter {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined || v === '' || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out as MessageFilter;
}
