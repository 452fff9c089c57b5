import type { RetryPolicy } from '../../config/providers.config';

/**
 * How long to wait before retry number `retry` (1-based): the upstream's Retry-After when it gave one,
 * otherwise exponential backoff with full jitter (AWS's recommendation: spreads a crowd of retries).
 * Undefined means "do not retry here": the Retry-After is longer than the configured bound.
 */
export function retryDelayMs(
  policy: RetryPolicy,
  retry: number,
  retryAfterMs: number | undefined,
  random: () => number = Math.random,
): number | undefined {
  if (retryAfterMs !== undefined) return retryAfterMs <= policy.max_retry_after_ms ? retryAfterMs : undefined;
  const ceiling = Math.min(policy.max_delay_ms, policy.base_delay_ms * 2 ** (retry - 1));
  return Math.round(random() * ceiling);
}

/**
 * Resolves after `ms`, or rejects at once when `signal` aborts: a client that leaves during a Retry-After
 * wait frees its request now, and no retry goes out after it (cockatiel's RetryPolicy waits the delay out
 * and calls again; docs/libraries.md).
 */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
