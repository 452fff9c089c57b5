import type { ErrorEnvelope, RenderedError } from '../../common/errors/error-envelope';
import type { ServiceRequest } from '../../common/request-context';
import { assertUnreachable, TtsError, TtsErrorCode } from '../../common/tts-error';

export const OPENAI_PATH_PREFIX = '/v1/audio/';

/** An OpenAI error class: the HTTP status and the `type` OpenAI uses for it. */
export interface OpenAiErrorClass {
  status: number;
  type: string;
}

/**
 * OpenAI's statuses and `type` words for every domain code. Shared with the Bifrost face, whose
 * errors carry the same words (Bifrost passes OpenAI's through).
 */
export function openAiErrorClass(error: TtsError): OpenAiErrorClass {
  const code: TtsErrorCode = error.code;
  switch (code) {
    case 'invalid_request':
    case 'malformed_request':
    case 'text_too_long':
    case 'unknown_voice':
    case 'unknown_provider':
    case 'format_unavailable':
      return { status: 400, type: 'invalid_request_error' };
    case 'idempotency_key_reused':
      return { status: 409, type: 'invalid_request_error' };
    case 'unauthorized':
      return { status: 401, type: 'authentication_error' };
    case 'insufficient_credits':
      return { status: 402, type: 'insufficient_quota' };
    // OpenAI's own words for a key's spending cap: its `code` tells it apart from an empty balance.
    case 'key_budget_exceeded':
      return { status: 402, type: 'insufficient_quota' };
    case 'forbidden':
      return { status: 403, type: 'permission_error' };
    case 'job_not_found':
    case 'not_found':
      return { status: 404, type: 'not_found_error' };
    case 'method_not_allowed':
      return { status: 405, type: 'invalid_request_error' };
    case 'job_not_ready':
      return { status: 409, type: 'invalid_request_error' };
    case 'link_expired':
      return { status: 410, type: 'invalid_request_error' };
    case 'payload_too_large':
      return { status: 413, type: 'invalid_request_error' };
    case 'unsupported_media_type':
      return { status: 415, type: 'invalid_request_error' };
    case 'rate_limited':
    case 'too_many_jobs':
      return { status: 429, type: 'rate_limit_error' };
    case 'provider_rejected':
      // The upstream judged the request: its 4xx is the client's answer.
      return {
        status: error.upstreamStatus && error.upstreamStatus >= 400 && error.upstreamStatus < 500 ? error.upstreamStatus : 422,
        type: 'invalid_request_error',
      };
    case 'provider_timeout':
      return { status: 504, type: 'server_error' };
    case 'provider_unavailable':
    case 'all_providers_failed':
      return { status: 502, type: 'server_error' };
    case 'service_unavailable':
      return { status: 503, type: 'server_error' };
    case 'job_stalled':
    case 'internal':
      return { status: 500, type: 'server_error' };
    default:
      return assertUnreachable(code);
  }
}

/** OpenAI's envelope: `{error: {message, type, param, code}}`, for everything under /v1/audio/. */
export class OpenAiErrorEnvelope implements ErrorEnvelope {
  readonly face = 'openai';

  owns(path: string): boolean {
    return path.startsWith(OPENAI_PATH_PREFIX);
  }

  render(error: TtsError, request: ServiceRequest): RenderedError {
    const { status, type } = openAiErrorClass(error);
    return {
      status,
      body: { error: { message: error.message, type, param: error.field ?? null, code: error.code } },
      headers: { 'x-request-id': request.id },
    };
  }
}
