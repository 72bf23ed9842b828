import { useState, type ReactNode, type Ref } from 'react';
import type { MessageFilter } from '../../../../shared/filter.ts';
import { MESSAGE_EVENTS, type MessageEventKind, type Transport } from '../../../../shared/model.ts';
import { DebouncedInput } from '../../components/DebouncedInput.tsx';
import { useApi } from '../../lib/use-api.ts';
import { setFilter } from '../../state/app.ts';
import { formatHeaderFilter, parseFieldFilter, parseHeaderFilter } from '../../state/view-state.ts';
import { parseLocalDateTime, toLocalDateTimeInput } from '../../lib/format.ts';

interface Props {
  sessionId: string;
  filter: MessageFilter;
  searchRef: Ref<HTMLInputElement>;
  /** Shown at the end of the first row (the count, the column picker). */
  end?: ReactNode;
}

const TRANSPORTS: { id: Transport; label: string }[] = [
  { id: 'kafka', label: 'Kafka' },
  { id: 'amqp', label: 'AMQP' },
  { id: 'ws', label: 'WS' },
  { id: 'mqtt', label: 'MQTT' },
  { id: 'nats', label: 'NATS' },
];

/** Every field narrows the shared filter, which the store evaluates in SQL. */
export function FilterBar({ sessionId, filter, searchRef, end }: Props) {
  const toggleTransport = (t: Transport) => {
    const cur = filter.transports ?? [];
    setFilter({ transports: cur.includes(t) ? cur.filter((x) => x !== t) : [...cur, t] });
  };
  return (
    <div className="filter-bar" role="search" aria-label="Message filters">
      <div className="filter-row">
        <DebouncedInput
          inputRef={searchRef}
          className="search"
          type="search"
          placeholder="Search payload text   ( / )"
          aria-label="Payload text"
          value={filter.text ?? ''}
          onCommit={(v) => setFilter({ text: v || undefined })}
        />
        <DestinationInput sessionId={sessionId} filter={filter} />
        <div className="seg" role="group" aria-label="Transports">
          {TRANSPORTS.map((t) => (
            <button key={t.id} type="button" aria-pressed={filter.transports?.includes(t.id) ?? false} onClick={() => toggleTransport(t.id)}>
              {t.label}
            </button>
          ))}
        </div>
        <select
          aria-label="Event"
          value={filter.events?.length === 1 ? filter.events[0] : ''}
          onChange={(e) => setFilter({ events: e.target.value ? [e.target.value as MessageEventKind] : undefined })}
        >
          <option value="">All events</option>
          {MESSAGE_EVENTS.map((ev) => (
            <option key={ev} value={ev}>
              {ev}
            </option>
          ))}
        </select>
        <div className="filter-end">{end}</div>
      </div>
      <div className="filter-row">
        <DebouncedInput
          placeholder="Correlation ID"
          aria-label="Correlation ID"
          className="narrow"
          value={filter.correlationId ?? ''}
          onCommit={(v) => setFilter({ correlationId: v || undefined })}
        />
        <DebouncedInput placeholder="Key" aria-label="Key" className="narrow" value={filter.key ?? ''} onCommit={(v) => setFilter({ key: v || undefined })} />
        <DebouncedInput
          placeholder="Header name[=value]"
          aria-label="Header"
          className="narrow"
          value={filter.header ? formatHeaderFilter(filter.header) : ''}
          onCommit={(v) => setFilter({ header: parseHeaderFilter(v) })}
        />
        <DebouncedInput
          placeholder="Field path[=value]"
          aria-label="Payload field"
          title="A field of a JSON or decoded (Protobuf, Avro, MessagePack, CBOR) payload, e.g. order.id=42 or lines[0].sku"
          className="narrow"
          value={filter.field ? formatHeaderFilter({ name: filter.field.path, ...(filter.field.value !== undefined ? { value: filter.field.value } : {}) }) : ''}
          onCommit={(v) => setFilter({ field: parseFieldFilter(v) })}
        />
        {/* From and To wrap together: a narrow list pane put "To" alone on a third line. */}
        <span className="time-range">
          <TimeInput label="From" value={filter.fromTime} onChange={(t) => setFilter({ fromTime: t })} />
          <TimeInput label="To" value={filter.toTime} onChange={(t) => setFilter({ toTime: t })} />
        </span>
      </div>
    </div>
  );
}

/** Adds a destination to the filter; suggestions are fetched only when the user goes for the field. */
function DestinationInput({ sessionId, filter }: { sessionId: string; filter: MessageFilter }) {
  const [dest, setDest] = useState('');
  const [asked, setAsked] = useState(0);
  const suggestions = useApi('renderer:messages:destinations', asked ? { sessionId } : null, asked);
  const destinations = suggestions.data?.map((d) => d.destination) ?? [];
  const add = (d: string) => {
    const v = d.trim();
    if (!v) return;
    setFilter({ destinations: [...new Set([...(filter.destinations ?? []), v])] });
    setDest('');
  };
  return (
    <form
      className="dest-form"
      onSubmit={(e) => {
        e.preventDefault();
        add(dest);
      }}
    >
      <input
        list="fs-destinations"
        placeholder="Destination…"
        aria-label="Add destination filter"
        value={dest}
        onFocus={() => setAsked((n) => n + 1)}
        onChange={(e) => {
          setDest(e.target.value);
          // Picking from the list (not typing) adds it at once.
          const picked = !(e.nativeEvent instanceof InputEvent) || e.nativeEvent.inputType === 'insertReplacementText';
          if (picked && destinations.includes(e.target.value)) add(e.target.value);
        }}
      />
      <datalist id="fs-destinations">
        {destinations.map((d) => (
          <option key={d} value={d} />
        ))}
      </datalist>
    </form>
  );
}

function TimeInput({ label, value, onChange }: { label: string; value: number | undefined; onChange(t: number | undefined): void }) {
  return (
    <label className="time-field">
      <span>{label}</span>
      <input
        type="datetime-local"
        step="0.001"
        aria-label={`${label} time`}
        value={toLocalDateTimeInput(value)}
        onChange={(e) => onChange(parseLocalDateTime(e.target.value))}
      />
    </label>
  );
}
