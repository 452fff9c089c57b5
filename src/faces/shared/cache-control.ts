import type { SynthesisRequest } from '../../synthesis/synthesis-request';
import type { CacheStatus } from '../../synthesis/cache/audio-cache.types';

/** The response header every face sends with audio it answers now: `hit`, `miss` or `bypass` (docs/cache.md). */
export const CACHE_STATUS_HEADER = 'x-cache';

/**
 * `request` with the client's `Cache-Control` applied: `no-store` (among any other directives, any
 * case) keeps the audio cache out of this request, reading and writing. Other directives do not
 * concern a synthesis and are ignored.
 */
export function withCacheControl<T extends SynthesisRequest>(request: T, header: string | string[] | undefined): T {
  const values = Array.isArray(header) ? header : header === undefined ? [] : [header];
  const noStore = values.some((value) =>
    value
      .split(',')
      .map((directive) => directive.trim().toLowerCase())
      .includes('no-store'),
  );
  return noStore ? { ...request, cache: 'no-store' } : request;
}

/** `{ 'x-cache': … }` for a response's headers. */
export function cacheStatusHeader(status: CacheStatus): Record<string, string> {
  return { [CACHE_STATUS_HEADER]: status };
}
