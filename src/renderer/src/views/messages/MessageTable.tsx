import { memo, useCallback, useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { MessageRow } from '../../../../shared/model.ts';
import type { ColumnId } from '../../state/view-state.ts';
import { COLUMN_DEFS, gridTemplate } from './columns.tsx';
import type { MessageList } from './use-message-list.ts';

const ROW_HEIGHT = 24;

interface Props {
  list: MessageList;
  columns: ColumnId[];
  selectedSeq: number | null;
  live: boolean;
  /** `open` undefined keeps the detail pane as it is (arrow keys), true opens it. */
  onSelect(seq: number, open?: boolean): void;
}

/** The virtualised message grid: renders only what is on screen, follows the tail when at the bottom. */
export function MessageTable({ list, columns, selectedSeq, live, onSelect }: Props) {
  const { cache, total, version } = list;
  const scrollRef = useRef<HTMLDivElement>(null);
  const [follow, setFollow] = useState(live);
  const followRef = useRef(live);
  const [cursor, setCursor] = useState<number | null>(null);

  const virtualizer = useVirtualizer({
    count: total,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 15,
    // Scroll updates render with React's own batching: flushSync on every scroll event made
    // each live batch a long main-thread task (issue 12).
    useFlushSync: false,
  });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;

  useEffect(() => {
    if (last >= 0) cache.ensure(first, last);
  }, [cache, first, last, total, version]);

  // Follow the tail: when new rows arrive and the user was at the bottom, stay there. Rows
  // have one fixed height, so the end is known without measuring: scrollToIndex would
  // re-read the element's scroll height frame after frame until it settles, forcing a
  // layout each time, which at full recording rate made long tasks (issue 12).
  useLayoutEffect(() => {
    const el = scrollRef.current;
    if (followRef.current && el && total > 0) el.scrollTop = virtualizer.getTotalSize();
  }, [total, virtualizer]);

  const onScroll = useCallback(() => {
    const el = scrollRef.current;
    if (!el) return;
    const atBottom = el.scrollHeight - el.scrollTop - el.clientHeight < ROW_HEIGHT * 1.5;
    if (atBottom !== followRef.current) {
      followRef.current = atBottom;
      setFollow(atBottom);
    }
  }, []);

  const jumpToNewest = () => {
    followRef.current = true;
    setFollow(true);
    if (scrollRef.current) scrollRef.current.scrollTop = virtualizer.getTotalSize();
  };

  // The keyboard cursor sits on the selected message, also when it was chosen elsewhere.
  const selectedIndex =
    selectedSeq === null ? null : cursor !== null && cache.row(cursor)?.seq === selectedSeq ? cursor : cache.indexOf((r) => r.seq === selectedSeq);

  const moveTo = (index: number, open?: boolean) => {
    const i = Math.max(0, Math.min(total - 1, index));
    const row = cache.row(i);
    virtualizer.scrollToIndex(i, { align: 'auto' });
    if (!row) return;
    setCursor(i);
    onSelect(row.seq, open);
  };

  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const cur = selectedIndex ?? first - 1;
    const page = Math.max(1, items.length - 4);
    const moves: Record<string, number> = { ArrowDown: cur + 1, ArrowUp: cur - 1, PageDown: cur + page, PageUp: cur - page, Home: 0, End: total - 1 };
    if (e.key in moves) {
      e.preventDefault();
      moveTo(moves[e.key]!);
    } else if (e.key === 'Enter' && selectedIndex !== null) {
      e.preventDefault();
      moveTo(selectedIndex, true);
    }
  };

  const template = gridTemplate(columns);
  return (
    <div
      className="msg-table"
      style={{ ['--cols' as string]: template }}
      role="grid"
      aria-label="Messages"
      aria-rowcount={total + 1}
      aria-colcount={columns.length}
      aria-multiselectable={false}
    >
      <div className="msg-head" role="row" aria-rowindex={1}>
        {columns.map((c) => (
          <div key={c} role="columnheader" title={COLUMN_DEFS[c].help ?? COLUMN_DEFS[c].label} className={`cell col-${c}${COLUMN_DEFS[c].align === 'right' ? ' right' : ''}`}>
            {COLUMN_DEFS[c].label}
          </div>
        ))}
      </div>
      <div
        ref={scrollRef}
        className="msg-scroll"
        role="rowgroup"
        aria-label="Message rows: ↑/↓ to move, Enter for detail, Esc to close it"
        tabIndex={0}
        onScroll={onScroll}
        onKeyDown={onKeyDown}
        data-testid="message-grid"
        data-cached-rows={cache.cachedRows}
      >
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => (
            <Row
              key={v.index}
              index={v.index}
              start={v.start}
              row={cache.row(v.index)}
              columns={columns}
              selected={selectedIndex === v.index}
              onSelect={(seq) => {
                setCursor(v.index);
                onSelect(seq, true);
              }}
            />
          ))}
        </div>
      </div>
      {!follow && live && total > 0 && (
        <button type="button" className="pill jump" onClick={jumpToNewest} data-testid="jump-newest">
          ↓ Jump to newest
        </button>
      )}
    </div>
  );
}

interface RowProps {
  index: number;
  start: number;
  row: MessageRow | undefined;
  columns: ColumnId[];
  selected: boolean;
  onSelect(seq: number): void;
}

const Row = memo(
  function Row({ index, start, row, columns, selected, onSelect }: RowProps) {
    const style = { transform: `translateY(${start}px)`, height: ROW_HEIGHT };
    if (!row) {
      return (
        <div className="msg-row loading" role="row" aria-rowindex={index + 2} style={style}>
          <div className="cell" role="gridcell">
            …
          </div>
        </div>
      );
    }
    return (
      <div
        className={`msg-row${selected ? ' selected' : ''}${row.event === 'error' || row.event === 'return' ? ' bad' : ''}`}
        role="row"
        aria-rowindex={index + 2}
        aria-selected={selected}
        style={style}
        data-testid="message-row"
        data-seq={row.seq}
        onClick={() => onSelect(row.seq)}
      >
        {columns.map((c) => {
          const def = COLUMN_DEFS[c];
          return (
            <div key={c} role="gridcell" className={`cell col-${c}${def.align === 'right' ? ' right' : ''}`} title={def.title?.(row)}>
              {def.render(row)}
            </div>
          );
        })}
      </div>
    );
  },
  // onSelect is a fresh closure each render but only matters on click; skip it in the comparison.
  (a, b) => a.row === b.row && a.start === b.start && a.selected === b.selected && a.columns === b.columns && a.index === b.index,
);
