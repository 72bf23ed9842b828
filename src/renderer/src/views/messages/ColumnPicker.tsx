import { useEffect, useRef, useState } from 'react';
import { COLUMNS, type ColumnId } from '../../state/view-state.ts';
import { setColumns } from '../../state/app.ts';

const COLUMN_NAMES: Record<ColumnId, string> = {
  seq: 'Sequence #',
  time: 'Time',
  transport: 'Transport',
  event: 'Event',
  destination: 'Destination',
  position: 'Partition/offset, routing key, connection',
  key: 'Key',
  correlationId: 'Correlation ID',
  size: 'Size',
  preview: 'Payload preview',
};

/** A small popover of checkboxes; the choice is kept in the URL with the rest of the view. */
export function ColumnPicker({ columns }: { columns: ColumnId[] }) {
  const [open, setOpen] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (e: MouseEvent) => {
      if (!ref.current?.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('mousedown', close);
    return () => document.removeEventListener('mousedown', close);
  }, [open]);
  const toggle = (c: ColumnId) => {
    const next = columns.includes(c) ? columns.filter((x) => x !== c) : COLUMNS.filter((x) => x === c || columns.includes(x));
    if (next.length) setColumns(next);
  };
  return (
    <div className="popover-anchor" ref={ref}>
      <button type="button" className="btn" aria-expanded={open} aria-haspopup="true" onClick={() => setOpen(!open)}>
        Columns ▾
      </button>
      {open && (
        <div className="popover" role="group" aria-label="Visible columns">
          {COLUMNS.map((c) => (
            <label key={c} className="check">
              <input type="checkbox" checked={columns.includes(c)} onChange={() => toggle(c)} />
              {COLUMN_NAMES[c]}
            </label>
          ))}
        </div>
      )}
    </div>
  );
}
