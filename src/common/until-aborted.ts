/**
 * Settles with `work`, or rejects as soon as `signal` aborts (with `rejection(signal)`, by default the
 * signal's reason), so a caller is released at once even when the work itself ignores the signal. The
 * work's own later failure is marked handled.
 */
export function untilAborted<T>(
  work: Promise<T>,
  signal: AbortSignal,
  rejection: (signal: AbortSignal) => unknown = (s) => s.reason,
): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(rejection(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(rejection(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
