import { useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from './api';

export interface Polled<T> {
  data?: T;
  error?: string;
  updatedAt?: number;
  refresh(): void;
}

/**
 * Calls `load` now and then every `intervalMs` after the previous call has ended (never two at once),
 * while `active`. Keeps the last good data when a call fails and says why.
 */
export function usePolling<T>(load: () => Promise<T>, intervalMs: number, active = true): Polled<T> {
  const [state, setState] = useState<{ data?: T; error?: string; updatedAt?: number }>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const kick = useRef<() => void>(() => undefined);

  useEffect(() => {
    if (!active) return;
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const run = async () => {
      clearTimeout(timer);
      try {
        const data = await loadRef.current();
        if (!stopped) setState({ data, updatedAt: Date.now() });
      } catch (error) {
        if (!stopped) setState((previous) => ({ ...previous, error: describeError(error) }));
      }
      if (!stopped) timer = setTimeout(run, intervalMs);
    };
    kick.current = () => void run();
    void run();
    return () => {
      stopped = true;
      clearTimeout(timer);
    };
  }, [intervalMs, active]);

  return { ...state, refresh: () => kick.current() };
}
