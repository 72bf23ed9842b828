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
 * changes identity (another session, another filter) old data is dropped. Stale answers
 * are ignored.
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
  const gen = useRef(0);
  useEffect(() => {
    const my = ++gen.current;
    if (inputKey === null) {
      setState({ data: undefined, error: null, loading: false, key: null });
      return;
    }
    setState((s) => (s.key === inputKey || keepPrevious ? { ...s, loading: true } : { data: undefined, error: null, loading: true, key: inputKey }));
    getClient()
      .invoke(channel, JSON.parse(inputKey) as RequestInput<C>)
      .then(
        (data) => {
          if (my === gen.current) setState({ data, error: null, loading: false, key: inputKey });
        },
        (err: unknown) => {
          if (my === gen.current) setState((s) => ({ ...s, error: errorMessage(err), loading: false }));
        },
      );
  }, [channel, inputKey, refresh, keepPrevious]);
  const fresh = state.key === inputKey || (keepPrevious && inputKey !== null);
  return { data: fresh ? state.data : undefined, error: fresh ? state.error : null, loading: state.loading || !fresh };
}
