import { useEffect, useMemo, useReducer, useRef, useState } from 'react';
import type { MessageFilter } from '../../../../shared/filter.ts';
import type { MessageRow } from '../../../../shared/model.ts';
import { getClient } from '../../api/client.ts';
import { PageCache } from '../../lib/page-cache.ts';
import { isEmptyFilter } from '../../state/view-state.ts';
import { onBatch, onReset } from '../../state/live.ts';
import { errorMessage } from '../../lib/format.ts';

import { MAX_PAGES, PAGE_SIZE } from './limits.ts';

export interface MessageList {
  cache: PageCache<MessageRow>;
  total: number;
  /** Changes whenever cached rows change; rows re-render on it. */
  version: number;
  loaded: boolean;
  error: string | null;
}

/**
 * The rows of a session under a filter, as a paged, bounded cache. Live traffic extends the
 * tail from the batch events (no refetch without a filter; with one, the engine recounts).
 */
export function useMessageList(sessionId: string, filter: MessageFilter, knownTotal: number): MessageList {
  const filterKey = JSON.stringify(filter);
  const [version, bump] = useReducer((n: number) => n + 1, 0);
  const [status, setStatus] = useState<{ key: string; loaded: boolean; error: string | null }>({ key: '', loaded: false, error: null });
  const listKey = `${sessionId}|${filterKey}`;

  // Read once per (session, filter): later changes of the count arrive as batches.
  const knownTotalRef = useRef(knownTotal);
  useEffect(() => {
    knownTotalRef.current = knownTotal;
  }, [knownTotal]);

  const cache = useMemo(() => {
    const f = JSON.parse(filterKey) as MessageFilter;
    let frame = 0;
    // Coalesce page arrivals into one render per animation frame.
    const changed = () => {
      if (frame) return;
      frame = requestAnimationFrame(() => {
        frame = 0;
        bump();
      });
    };
    return new PageCache<MessageRow>(
      (offset, limit) => getClient().call('renderer:messages:query', { sessionId, filter: f, offset, limit }),
      changed,
      PAGE_SIZE,
      MAX_PAGES,
    );
  }, [sessionId, filterKey]);

  useEffect(() => {
    const client = getClient();
    const filter = JSON.parse(filterKey) as MessageFilter;
    const unfiltered = isEmptyFilter(filter);
    let alive = true;
    const fail = (err: unknown) => alive && setStatus({ key: listKey, loaded: true, error: errorMessage(err) });
    const init = (hint?: number) => {
      cache.reset();
      cache.total = 0;
      // Unfiltered, the session's count is already known: the first rows come without waiting
      // for a COUNT over the whole (possibly cold, million-row) table. The count follows.
      const quick = unfiltered && hint !== undefined && hint > 0;
      client.call('renderer:messages:query', { sessionId, filter, offset: 0, limit: PAGE_SIZE, withTotal: !quick }).then((r) => {
        if (!alive) return;
        cache.fill(0, r.rows);
        cache.setTotal(r.total ?? Math.max(cache.total, hint ?? 0, r.rows.length));
        setStatus({ key: listKey, loaded: true, error: null });
        if (quick) {
          void client.call('renderer:messages:query', { sessionId, filter, offset: 0, limit: 1, withTotal: true }).then((c) => {
            if (alive && c.total !== null && c.total !== cache.total) cache.setTotal(c.total);
          }, fail);
        }
      }, fail);
    };
    init(knownTotalRef.current);
    let counting = false;
    const offBatch = onBatch(sessionId, (b) => {
      if (unfiltered) {
        if (b.total < cache.total) init();
        else cache.appendTail(b.total, b.newest);
        return;
      }
      // With a filter only the store knows how many of the new messages match.
      if (counting) return;
      counting = true;
      client
        .call('renderer:messages:query', { sessionId, filter, offset: 0, limit: 1, withTotal: true })
        .then((r) => {
          if (!alive || r.total === null) return;
          if (r.total < cache.total) init();
          else if (r.total > cache.total) cache.grow(r.total);
        })
        .catch(() => undefined)
        .finally(() => (counting = false));
    });
    const offReset = onReset(sessionId, () => init());
    return () => {
      alive = false;
      offBatch();
      offReset();
    };
  }, [cache, sessionId, filterKey, listKey]);

  const fresh = status.key === listKey;
  return { cache, total: cache.total, version, loaded: fresh && status.loaded, error: fresh ? status.error : null };
}
