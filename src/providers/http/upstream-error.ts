import { TtsError, TtsErrorCode } from '../../common/tts-error';

/**
 * A failure of one upstream call. `retryable` says whether the same call may succeed if repeated
 * (timeouts, connection errors, 429, 5xx); `retryAfterMs` is the upstream's own Retry-After.
 * It stays a TtsError, so faces map it by code like any other.
 */
export class UpstreamError extends TtsError {
  constructor(
    code: TtsErrorCode,
    message: string,
    readonly retryable: boolean,
    options: { upstreamStatus?: number; retryAfterMs?: number; provider: string; cause?: unknown },
  ) {
    super(code, message, {
      upstreamStatus: options.upstreamStatus,
      retryAfterSeconds: options.retryAfterMs === undefined ? undefined : Math.ceil(options.retryAfterMs / 1000),
      details: { provider: options.provider, ...(options.upstreamStatus ? { upstream_status: options.upstreamStatus } : {}) },
      cause: options.cause,
    });
    this.retryAfterMs = options.retryAfterMs;
  }

  readonly retryAfterMs?: number;
}

/** Statuses that mean "the request itself is wrong": repeating it, here or elsewhere, cannot help. */
const REQUEST_FAULT_STATUSES = new Set([400, 413, 414, 415, 422]);

const MAX_MESSAGE_CHARS = 500;

/**
 * The one error normaliser for every HTTP provider: an upstream's non-2xx answer becomes a typed error.
 * 400/413/414/415/422 → provider_rejected with the upstream's message (fail fast, no fallback);
 * 408/429/5xx → retryable provider_unavailable; other 4xx (401, 403, 404: our key or our config) →
 * provider_unavailable that moves to the next target without retrying.
 */
export function errorFromResponse(provider: string, status: number, body: Buffer, retryAfter: string | null): UpstreamError {
  const upstreamMessage = extractUpstreamMessage(body);
  const said = upstreamMessage ? `: ${upstreamMessage}` : '';
  if (REQUEST_FAULT_STATUSES.has(status)) {
    return new UpstreamError('provider_rejected', `${provider} rejected the request (HTTP ${status})${said}`, false, {
      provider,
      upstreamStatus: status,
    });
  }
  const transient = status === 408 || status === 429 || status >= 500;
  return new UpstreamError('provider_unavailable', `${provider} answered HTTP ${status}${said}`, transient, {
    provider,
    upstreamStatus: status,
    retryAfterMs: transient ? parseRetryAfter(retryAfter) : undefined,
  });
}

/** The human message in an upstream's JSON error, whichever dialect it speaks (OpenAI, ElevenLabs, RFC 7807, Sauti, plain). */
export function extractUpstreamMessage(body: Buffer): string | undefined {
  const text = body
    .subarray(0, 64 * 1024)
    .toString('utf8')
    .trim();
  if (text === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return /^[\x20-\x7e\s]+$/.test(text) && !text.startsWith('<') ? clip(text) : undefined;
  }
  const found = findMessage(parsed, 0);
  return found ? clip(found) : undefined;
}

function findMessage(value: unknown, depth: number): string | undefined {
  if (typeof value === 'string') return value.trim() || undefined;
  if (depth > 3 || value === null || typeof value !== 'object') return undefined;
  if (Array.isArray(value)) return findMessage(value[0], depth + 1);
  const record = value as Record<string, unknown>;
  // OpenAI: error.message; ElevenLabs: detail.message or detail; RFC 7807: detail/title; FastAPI: detail[0].msg.
  for (const key of ['message', 'detail', 'error', 'msg', 'title']) {
    const found = findMessage(record[key], depth + 1);
    if (found) return found;
  }
  return undefined;
}

function clip(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ');
  return oneLine.length > MAX_MESSAGE_CHARS ? `${oneLine.slice(0, MAX_MESSAGE_CHARS)}…` : oneLine;
}

/** Retry-After as delta-seconds or an HTTP date, in milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** A transport-level failure (no HTTP answer) as a typed error. */
export function transportError(
  provider: string,
  kind: 'timeout' | 'connect_timeout' | 'connection' | 'too_large' | 'redirect',
  detail: string,
  cause?: unknown,
): UpstreamError {
  switch (kind) {
    case 'timeout':
      return new UpstreamError('provider_timeout', `${provider} did not answer in time (${detail})`, true, { provider, cause });
    case 'connect_timeout':
      return new UpstreamError('provider_timeout', `${provider}: could not connect in time (${detail})`, true, { provider, cause });
    case 'connection':
      return new UpstreamError('provider_unavailable', `${provider} is unreachable: ${detail}`, true, { provider, cause });
    case 'too_large':
      return new UpstreamError('provider_unavailable', `${provider} sent a response larger than ${detail}; it was cut off`, false, {
        provider,
        cause,
      });
    case 'redirect':
      return new UpstreamError('provider_unavailable', `${provider} redirected the request: ${detail}`, false, { provider, cause });
  }
}
