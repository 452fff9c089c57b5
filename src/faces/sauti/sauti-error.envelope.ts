import type { ErrorEnvelope, RenderedError } from '../../common/errors/error-envelope';
import type { ServiceRequest } from '../../common/request-context';
import { assertUnreachable, TtsError, TtsErrorCode } from '../../common/tts-error';
import type { AttemptRecord } from '../../synthesis/speech.types';
import { SAUTI_PATH_PREFIXES } from './sauti-routes';

/** Status, problem-type slug and title: RFC 9110 reason phrases, slugged as the document slugs 422. */
interface ProblemKind {
  status: number;
  slug: string;
  title: string;
}

const BAD_REQUEST: ProblemKind = { status: 400, slug: 'bad_request', title: 'Bad Request' };
const UNAUTHORIZED: ProblemKind = { status: 401, slug: 'unauthorized', title: 'Unauthorized' };
const PAYMENT_REQUIRED: ProblemKind = { status: 402, slug: 'payment_required', title: 'Payment Required' };
const FORBIDDEN: ProblemKind = { status: 403, slug: 'forbidden', title: 'Forbidden' };
const NOT_FOUND: ProblemKind = { status: 404, slug: 'not_found', title: 'Not Found' };
const METHOD_NOT_ALLOWED: ProblemKind = { status: 405, slug: 'method_not_allowed', title: 'Method Not Allowed' };
const CONFLICT: ProblemKind = { status: 409, slug: 'conflict', title: 'Conflict' };
const GONE: ProblemKind = { status: 410, slug: 'gone', title: 'Gone' };
const CONTENT_TOO_LARGE: ProblemKind = { status: 413, slug: 'content_too_large', title: 'Content Too Large' };
const UNSUPPORTED_MEDIA_TYPE: ProblemKind = { status: 415, slug: 'unsupported_media_type', title: 'Unsupported Media Type' };
const UNPROCESSABLE_CONTENT: ProblemKind = { status: 422, slug: 'unprocessable_content', title: 'Unprocessable Content' };
const TOO_MANY_REQUESTS: ProblemKind = { status: 429, slug: 'too_many_requests', title: 'Too Many Requests' };
const INTERNAL_SERVER_ERROR: ProblemKind = { status: 500, slug: 'internal_server_error', title: 'Internal Server Error' };
const SERVICE_UNAVAILABLE: ProblemKind = { status: 503, slug: 'service_unavailable', title: 'Service Unavailable' };

/** A 503 without a hint from the router still tells clients when trying again is reasonable. */
const DEFAULT_UNAVAILABLE_RETRY_SECONDS = 5;

/** Every domain code's meaning on the Sauti face. Exhaustive: a new code fails compilation here. */
export function sautiProblemKind(code: TtsErrorCode): ProblemKind {
  switch (code) {
    case 'malformed_request':
      return BAD_REQUEST;
    case 'unauthorized':
      return UNAUTHORIZED;
    case 'insufficient_credits':
    case 'key_budget_exceeded':
      return PAYMENT_REQUIRED;
    case 'forbidden':
      return FORBIDDEN;
    case 'unknown_voice':
    case 'unknown_provider':
    case 'job_not_found':
    case 'not_found':
      return NOT_FOUND;
    case 'method_not_allowed':
      return METHOD_NOT_ALLOWED;
    case 'job_not_ready':
      return CONFLICT;
    case 'link_expired':
      return GONE;
    case 'payload_too_large':
      return CONTENT_TOO_LARGE;
    case 'unsupported_media_type':
      return UNSUPPORTED_MEDIA_TYPE;
    case 'invalid_request':
    case 'text_too_long':
    case 'idempotency_key_reused':
    case 'provider_rejected':
      return UNPROCESSABLE_CONTENT;
    case 'rate_limited':
    case 'too_many_jobs':
      return TOO_MANY_REQUESTS;
    // Provider trouble is the service being unavailable for this voice right now, not a client error.
    case 'format_unavailable':
    case 'provider_timeout':
    case 'provider_unavailable':
    case 'all_providers_failed':
    case 'service_unavailable':
      return SERVICE_UNAVAILABLE;
    case 'job_stalled':
    case 'internal':
      return INTERNAL_SERVER_ERROR;
    default:
      return assertUnreachable(code);
  }
}

/**
 * The providers tried, as an RFC 7807 extension member, when routing failed: provider, outcome code,
 * time spent and retries. The providers' own messages stay in the logs (they can name our configuration).
 */
function attemptsMember(error: TtsError): { attempts?: Array<Record<string, unknown>> } {
  const attempts = error.details?.attempts;
  if (error.code !== 'all_providers_failed' || !Array.isArray(attempts)) return {};
  return {
    attempts: (attempts as AttemptRecord[]).map((attempt) => ({
      provider: attempt.provider,
      outcome: attempt.outcome,
      duration_ms: Math.round(attempt.durationMs),
      retries: attempt.retries,
    })),
  };
}

/** RFC 7807 problem details (`application/problem+json`) for every failure under the Sauti paths. */
export class SautiErrorEnvelope implements ErrorEnvelope {
  readonly face = 'sauti';

  constructor(private readonly publicBaseUrl: string) {}

  owns(path: string): boolean {
    return SAUTI_PATH_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
  }

  render(error: TtsError, request: ServiceRequest): RenderedError {
    const kind = sautiProblemKind(error.code);
    return {
      status: kind.status,
      contentType: 'application/problem+json',
      headers: this.headersFor(kind, error),
      body: {
        type: `${this.publicBaseUrl}/errors/${kind.slug}`,
        title: kind.title,
        status: kind.status,
        detail: error.message,
        instance: request.originalUrl?.split('?')[0] ?? request.path,
        code: error.code,
        ...(error.field ? { field: error.field } : {}),
        ...attemptsMember(error),
        request_id: request.id,
      },
    };
  }

  private headersFor(kind: ProblemKind, error: TtsError): Record<string, string> {
    const headers: Record<string, string> = {};
    if (kind === UNAUTHORIZED) headers['www-authenticate'] = 'Bearer realm="sauti", charset="UTF-8"';
    if (kind === METHOD_NOT_ALLOWED && typeof error.details?.allow === 'string') headers.allow = error.details.allow;
    if (kind === SERVICE_UNAVAILABLE && error.retryAfterSeconds === undefined)
      headers['retry-after'] = String(DEFAULT_UNAVAILABLE_RETRY_SECONDS);
    return headers;
  }
}
