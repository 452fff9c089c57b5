import type { ErrorEnvelope, RenderedError } from '../../common/errors/error-envelope';
import type { ServiceRequest } from '../../common/request-context';
import { assertUnreachable, TtsError, TtsErrorCode } from '../../common/tts-error';
import { elevenLabsOwnsPath } from './elevenlabs-routes';

/** Seconds a client is told to wait when the service cannot take requests (a dependency down). */
const UNAVAILABLE_RETRY_SECONDS = 5;

/** Query parameters of this face: a validation error on them is located in `query`, others in `body`. */
const QUERY_FIELDS = new Set([
  'output_format',
  'optimize_streaming_latency',
  'enable_logging',
  'page_size',
  'next_page_token',
  'search',
  'start_unix',
  'end_unix',
  'aggregation_interval',
  'breakdown_type',
  'metric',
]);

/**
 * How ElevenLabs answers a failure: the HTTP status, and either its `detail.status` word or, for
 * the answers its framework (FastAPI) writes itself, a bare `detail` string or validation list.
 */
type ElevenLabsErrorKind = { status: number; word: string } | { status: number; bare: string } | { status: 422; validation: true };

/** ElevenLabs' status and word for every domain code (docs/elevenlabs-api.md lists them). */
export function elevenLabsErrorKind(error: TtsError): ElevenLabsErrorKind {
  const code: TtsErrorCode = error.code;
  switch (code) {
    case 'invalid_request':
    case 'malformed_request':
      return { status: 422, validation: true };
    case 'text_too_long':
      return { status: 400, word: 'max_character_limit_exceeded' };
    case 'unknown_voice':
      return { status: 404, word: 'voice_not_found' };
    case 'unknown_provider':
      return { status: 400, word: 'model_not_found' };
    case 'format_unavailable':
      return { status: 400, word: 'output_format_not_available' };
    case 'unauthorized':
      return { status: 401, word: 'invalid_api_key' };
    case 'insufficient_credits':
      // ElevenLabs answers an exhausted quota with 401 quota_exceeded, and its clients look for that.
      return { status: 401, word: 'quota_exceeded' };
    // A key's own budget (docs/usage.md): 402 with its own word, so a client tells it from the account's quota.
    case 'key_budget_exceeded':
      return { status: 402, word: 'key_budget_exceeded' };
    case 'forbidden':
      return { status: 403, word: 'missing_permissions' };
    case 'not_found':
    case 'job_not_found':
      return { status: 404, bare: 'Not Found' };
    case 'method_not_allowed':
      return { status: 405, bare: 'Method Not Allowed' };
    case 'idempotency_key_reused':
    case 'job_not_ready':
      return { status: 409, word: 'conflict' };
    case 'link_expired':
      return { status: 410, word: 'gone' };
    case 'payload_too_large':
      return { status: 413, word: 'payload_too_large' };
    case 'unsupported_media_type':
      return { status: 415, word: 'unsupported_media_type' };
    case 'rate_limited':
      return { status: 429, word: 'rate_limit_exceeded' };
    case 'too_many_jobs':
      return { status: 429, word: 'too_many_concurrent_requests' };
    case 'provider_rejected':
      return {
        status: error.upstreamStatus && error.upstreamStatus >= 400 && error.upstreamStatus < 500 ? error.upstreamStatus : 422,
        word: 'provider_rejected',
      };
    case 'provider_timeout':
      return { status: 504, word: 'upstream_timeout' };
    case 'provider_unavailable':
    case 'all_providers_failed':
      return { status: 502, word: 'upstream_unavailable' };
    case 'service_unavailable':
      return { status: 503, word: 'service_unavailable' };
    case 'job_stalled':
    case 'internal':
      return { status: 500, word: 'internal_error' };
    default:
      return assertUnreachable(code);
  }
}

/** A validation failure as one pydantic error item: `{type, loc, msg, input}`. */
function validationItem(error: TtsError): Record<string, unknown> {
  const field = error.field ?? 'body';
  const loc =
    error.code === 'malformed_request'
      ? ['body', 0]
      : QUERY_FIELDS.has(field)
        ? ['query', field]
        : field === 'body'
          ? ['body']
          : ['body', ...field.split('.')];
  const type =
    typeof error.details?.type === 'string' ? error.details.type : error.code === 'malformed_request' ? 'json_invalid' : 'value_error';
  return { type, loc, msg: error.message, ...(error.details && 'input' in error.details ? { input: error.details.input } : {}) };
}

/**
 * ElevenLabs' error bodies for everything under /elevenlabs: `{"detail": {"status", "message"}}`, a
 * 422 `{"detail": [{type, loc, msg, input}]}` for validation, and FastAPI's `{"detail": "Not Found"}`
 * for unknown paths and methods. `request-id` carries the request id, as ElevenLabs sends it.
 */
export class ElevenLabsErrorEnvelope implements ErrorEnvelope {
  readonly face = 'elevenlabs';

  owns(path: string): boolean {
    return elevenLabsOwnsPath(path);
  }

  render(error: TtsError, request: ServiceRequest): RenderedError {
    const kind = elevenLabsErrorKind(error);
    const headers: Record<string, string> = { 'request-id': request.id };
    if (kind.status === 503 && error.retryAfterSeconds === undefined) headers['retry-after'] = String(UNAVAILABLE_RETRY_SECONDS);
    const allow = error.details?.allow;
    if (kind.status === 405 && typeof allow === 'string') headers.allow = allow;
    if ('validation' in kind) return { status: kind.status, body: { detail: [validationItem(error)] }, headers };
    if ('bare' in kind) return { status: kind.status, body: { detail: kind.bare }, headers };
    return { status: kind.status, body: { detail: { status: kind.word, message: error.message } }, headers };
  }
}
