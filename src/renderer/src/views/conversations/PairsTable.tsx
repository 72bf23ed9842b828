import { memo, useEffect, useMemo, useReducer, useRef } from 'react';
import { useVirtualizer } from '@tanstack/react-virtual';
import type { PairStatusFilter } from './pair-status.ts';
import type { PairView } from '../../../../shared/views.ts';
import { getClient } from '../../api/client.ts';
import { PageCache } from '../../lib/page-cache.ts';
import { formatClock, formatMs } from '../../lib/format.ts';
import { visible, visibleTitle } from '../../components/Visible.tsx';

const ROW_HEIGHT = 24;

interface Props {
  sessionId: string;
  status: PairStatusFilter | undefined;
  destination: string | undefined;
  tick: number;
  selected: PairView | null;
  onSelect(p: PairView): void;
  onTotal(n: number): void;
}

/** Request→reply pairs, paged from the analysis as the list scrolls. */
export function PairsTable({ sessionId, status, destination, tick, selected, onSelect, onTotal }: Props) {
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  const cache = useMemo(
    () =>
      new PageCache<PairView>(
        (offset, limit) =>
          getClient().call('renderer:analysis:pairs', {
            sessionId,
            offset,
            limit,
            ...(status ? { status } : {}),
            ...(destination ? { destination } : {}),
          }),
        bump,
        200,
        10,
      ),
    [sessionId, status, destination],
  );
  // The first page tells how many there are; live ticks refetch what is shown.
  useEffect(() => {
    if (tick > 0) cache.invalidate();
    if (cache.total === 0) {
      cache.total = 1;
      cache.ensure(0, 0);
    }
    bump();
  }, [cache, tick]);
  useEffect(() => onTotal(cache.total), [cache.total, version, onTotal]);

  const scrollRef = useRef<HTMLDivElement>(null);
  const virtualizer = useVirtualizer({ count: cache.total, getScrollElement: () => scrollRef.current, estimateSize: () => ROW_HEIGHT, overscan: 10 });
  const items = virtualizer.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? -1;
  useEffect(() => {
    if (last >= 0) cache.ensure(first, last);
  }, [cache, first, last, version]);

  return (
    <div className="pairs-table" role="grid" aria-label="Request and reply pairs" aria-rowcount={cache.total + 1}>
      <div className="pairs-head" role="row">
        <div role="columnheader">Status</div>
        <div role="columnheader" title="Correlation ID">Corr. ID</div>
        <div role="columnheader">Destination</div>
        <div role="columnheader">Request</div>
        <div role="columnheader">Reply</div>
        <div role="columnheader" className="right">
          Latency
        </div>
      </div>
      <div ref={scrollRef} className="pairs-scroll" role="rowgroup" tabIndex={0}>
        <div style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {items.map((v) => {
            const p = cache.row(v.index);
            return (
              <PairRow
                key={v.index}
                start={v.start}
                pair={p}
                selected={!!p && !!selected && p.correlationId === selected.correlationId && p.requestSeq === selected.requestSeq}
                onSelect={onSelect}
              />
            );
          })}
        </div>
        {cache.total === 0 && version > 0 && <p className="empty small">No pairs {status ? `with status “${status}”` : 'yet'}.</p>}
      </div>
    </div>
  );
}

const STATUS_LABEL: Record<PairView['status'], string> = { matched: 'matched', unanswered: 'unanswered', orphan: 'orphan reply', duplicate: 'duplicate' };

const PairRow = memo(function PairRow({ start, pair, selected, onSelect }: { start: number; pair: PairView | undefined; selected: boolean; onSelect(p: PairView): void }) {
  const style = { transform: `translateY(${start}px)`, height: ROW_HEIGHT };
  if (!pair) return <div className="pair-row loading" role="row" style={style} />;
  return (
    <div
      role="row"
      aria-selected={selected}
      className={`pair-row status-${pair.status}${selected ? ' selected' : ''}`}
      style={style}
      onClick={() => onSelect(pair)}
      data-testid="pair-row"
      data-status={pair.status}
    >
      <div role="gridcell">
        <span className={`pill-status ${pair.status}`}>{STATUS_LABEL[pair.status]}</span>
      </div>
      <div role="gridcell" title={visibleTitle(pair.correlationId)}>
        {visible(pair.correlationId)}
      </div>
      <div role="gridcell" title={visibleTitle(pair.replyDestination ? `${pair.destination ?? ''} → ${pair.replyDestination}` : (pair.destination ?? ''))}>
        {visible(pair.destination ?? '')}
        {pair.replyDestination ? <span className="muted"> → {visible(pair.replyDestination)}</span> : null}
      </div>
      <div role="gridcell">{pair.requestTime !== null ? formatClock(pair.requestTime) : '–'}</div>
      <div role="gridcell">{pair.replyTime !== null ? formatClock(pair.replyTime) : '–'}</div>
      <div role="gridcell" className="right">
        {formatMs(pair.latencyMs)}
      </div>
    </div>
  );
});
