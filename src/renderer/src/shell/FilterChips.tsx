import type { MessageFilter } from '../../../shared/filter.ts';
import { replaceFilter, setFilter, useApp } from '../state/app.ts';
import { formatHeaderFilter, isEmptyFilter } from '../state/view-state.ts';
import { formatClock } from '../lib/format.ts';
import { CloseIcon } from '../components/icons.tsx';

interface Chip {
  label: string;
  remove: Partial<MessageFilter>;
}

function chipsOf(f: MessageFilter): Chip[] {
  const chips: Chip[] = [];
  for (const d of f.destinations ?? []) chips.push({ label: `destination: ${d}`, remove: { destinations: f.destinations!.filter((x) => x !== d) } });
  if (f.transports?.length) chips.push({ label: `transport: ${f.transports.join(', ')}`, remove: { transports: undefined } });
  if (f.events?.length) chips.push({ label: `event: ${f.events.join(', ')}`, remove: { events: undefined } });
  if (f.fromTime !== undefined || f.toTime !== undefined) {
    const a = f.fromTime !== undefined ? formatClock(f.fromTime) : 'start';
    const b = f.toTime !== undefined ? formatClock(f.toTime) : 'end';
    chips.push({ label: `time: ${a} – ${b}`, remove: { fromTime: undefined, toTime: undefined } });
  }
  if (f.correlationId) chips.push({ label: `correlation: ${f.correlationId}`, remove: { correlationId: undefined } });
  if (f.key) chips.push({ label: `key: ${f.key}`, remove: { key: undefined } });
  if (f.header) chips.push({ label: `header: ${formatHeaderFilter(f.header)}`, remove: { header: undefined } });
  if (f.text) chips.push({ label: `text: “${f.text}”`, remove: { text: undefined } });
  if (f.endpoint) chips.push({ label: `endpoint: ${f.endpoint}`, remove: { endpoint: undefined } });
  if (f.connection) chips.push({ label: `connection: ${f.connection}`, remove: { connection: undefined } });
  return chips;
}

/** The shared filter, visible in every view, each part removable. */
export function FilterChips() {
  const filter = useApp((s) => s.filter);
  if (isEmptyFilter(filter)) return null;
  return (
    <div className="filter-chips" aria-label="Active filters" data-testid="filter-chips">
      {chipsOf(filter).map((c) => (
        <span key={c.label} className="chip" data-testid="filter-chip">
          {c.label}
          <button type="button" className="chip-x" aria-label={`Remove filter ${c.label}`} onClick={() => setFilter(c.remove)}>
            <CloseIcon />
          </button>
        </span>
      ))}
      <button type="button" className="link small" onClick={() => replaceFilter({})}>
        Clear all
      </button>
    </div>
  );
}
