/**
 * Stable domain error codes. Every API face maps each of them to its own envelope and status
 * through an exhaustive switch, so adding a code here fails compilation until every face handles it.
 */
export const TTS_ERROR_CODES = [
  'invalid_request',
  'malformed_request',
  'text_too_long',
  'unknown_voice',
  'unknown_provider',
  'unauthorized',
  'forbidden',
  'insufficient_credits',
  'key_budget_exceeded',
  'rate_limited',
  'too_many_jobs',
  'idempotency_key_reused',
  'job_not_found',
  'job_not_ready',
  'job_stalled',
  'link_expired',
  'not_found',
  'method_not_allowed',
  'payload_too_large',
  'unsupported_media_type',
  'format_unavailable',
  'provider_timeout',
  'provider_rejected',
  'provider_unavailable',
  'all_providers_failed',
  'service_unavailable',
  'internal',
] as const;

export type TtsErrorCode = (typeof TTS_ERROR_CODES)[number];

export interface TtsErrorOptions {
  /** The request field at fault, as the client named it. */
  field?: string;
  /** Seconds a client should wait before retrying (429, 503). */
  retryAfterSeconds?: number;
  /** Upstream HTTP status for provider_rejected. */
  upstreamStatus?: number;
  /** Structured details safe to show a client (never secrets or stack traces). */
  details?: Record<string, unknown>;
  cause?: unknown;
}

export class TtsError extends Error {
  readonly field?: string;
  readonly retryAfterSeconds?: number;
  readonly upstreamStatus?: number;
  readonly details?: Record<string, unknown>;

  constructor(
    readonly code: TtsErrorCode,
    message: string,
    options: TtsErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'TtsError';
    this.field = options.field;
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamStatus = options.upstreamStatus;
    this.details = options.details;
  }
}

export function assertUnreachable(value: never): never {
  throw new Error(`Unhandled value: ${String(value)}`);
}

/** The HTTP status a code means when a face has no reason to differ. */
export function defaultHttpStatus(code: TtsErrorCode): number {
  switch (code) {
    case 'invalid_request':
    case 'text_too_long':
      return 422;
    case 'malformed_request':
    case 'unknown_voice':
    case 'unknown_provider':
    case 'format_unavailable':
      return 400;
    case 'unauthorized':
      return 401;
    case 'insufficient_credits':
    case 'key_budget_exceeded':
      return 402;
    case 'forbidden':
      return 403;
    case 'job_not_found':
    case 'not_found':
      return 404;
    case 'method_not_allowed':
      return 405;
    case 'job_not_ready':
      return 409;
    case 'link_expired':
      return 410;
    case 'payload_too_large':
      return 413;
    case 'unsupported_media_type':
      return 415;
    case 'idempotency_key_reused':
      return 422;
    case 'rate_limited':
    case 'too_many_jobs':
      return 429;
    case 'provider_rejected':
      return 422;
    case 'provider_timeout':
      return 504;
    case 'provider_unavailable':
    case 'all_providers_failed':
      return 502;
    case 'service_unavailable':
      return 503;
    case 'job_stalled':
    case 'internal':
      return 500;
    default:
      return assertUnreachable(code);
  }
}
