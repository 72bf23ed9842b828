import { useEffect, useRef, useState } from 'react';
import type { RequestChannel, RequestInput, RequestResult } from '../../../shared/api.ts';
import { getClient } from '../api/client.ts';
import { errorMessage } from './format.ts';

export interface ApiState<T> {
  data: T | undefined;
  error: string | null;
  loading: boolean;
}

/**
 * Runs one request whenever its input or `refresh` changes, and keeps the previous data
 * while the next answer loads so live refreshes never flash an empty view. When the input
 * changes identity (another session, another filter) old data is dropped. Refreshes never
 * pile up: while a request for the same input is in flight, further refreshes collapse into
 * one that runs when it returns, so a slow aggregate on a big session sets its own pace.
 */
export function useApi<C extends RequestChannel>(
  channel: C,
  input: RequestInput<C> | null,
  refresh: unknown = 0,
  /** Keep showing the previous input's answer until the new one arrives (no flash while stepping through a list). */
  keepPrevious = false,
): ApiState<RequestResult<C>> {
  const inputKey = input === null ? null : JSON.stringify(input);
  const [state, setState] = useState<ApiState<RequestResult<C>> & { key: string | null }>({
    data: undefined,
    error: null,
    loading: inputKey !== null,
    key: inputKey,
  });
  const [again, setAgain] = useState(0);
  const gen = useRef(0);
  const inflight = useRef<{ key: string; dirty: boolean } | null>(null);

  useEffect(() => {
    if (inputKey === null) {
      gen.current++;
      inflight.current = null;
      setState({ data: undefined, error: null, loading: false, key: null });
      return;
    }
    const busy = inflight.current;
    if (busy && busy.key === inputKey) {
      busy.dirty = true;
      return;
    }
    const my = ++gen.current;
    const mine = { key: inputKey, dirty: false };
    inflight.current = mine;
    setState((s) => (s.key === inputKey || keepPrevious ? { ...s, loading: true } : { data: undefined, error: null, loading: true, key: inputKey }));
    const done = () => {
      if (inflight.current !== mine) return;
      inflight.current = null;
      if (mine.dirty) setAgain((n) => n + 1);
    };
    getClient()
      .call(channel, JSON.parse(inputKey) as RequestInput<C>)
      .then(
        (data) => {
          if (my === gen.current) setState({ data, error: null, loading: false, key: inputKey });
        },
        (err: unknown) => {
          if (my === gen.current) setState((s) => ({ ...s, error: errorMessage(err), loading: false }));
        },
      )
      .finally(done);
  }, [channel, inputKey, refresh, keepPrevious, again]);

  const fresh = state.key === inputKey || (keepPrevious && inputKey !== null);
  return { data: fresh ? state.data : undefined, error: fresh ? state.error : null, loading: state.loading || !fresh };
}
