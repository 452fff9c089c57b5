import type { ErrorEnvelope, RenderedError } from '../../common/errors/error-envelope';
import { assertUnreachable, TtsError, TtsErrorCode } from '../../common/tts-error';
import { fishOwnsPath } from './fish-routes';

/** Fish's error body: the status repeated, a stable snake_case code and a sentence for people. */
export interface FishErrorBody {
  status: number;
  code: string;
  message: string;
}

/** A 503 without its own hint still tells clients when trying again is reasonable. */
const DEFAULT_UNAVAILABLE_RETRY_SECONDS = 5;

/**
 * The document's table names four kinds of 400 (text, voice, model, output format): the field at
 * fault picks the code, so a client can tell them apart without parsing the message.
 */
function payloadCode(field: string | undefined, fallback: string): string {
  switch (field) {
    case 'text':
      return 'invalid_text';
    case 'voiceId':
      return 'invalid_voice';
    case 'engineModelId':
      return 'invalid_model';
    case 'format':
      return 'invalid_format';
    default:
      return fallback;
  }
}

/** Status and Fish code of every domain code. Exhaustive: a new domain code fails compilation here. */
export function fishErrorKind(error: TtsError): { status: number; code: string } {
  const code: TtsErrorCode = error.code;
  switch (code) {
    case 'invalid_request':
    case 'text_too_long':
    case 'unknown_voice':
    case 'unknown_provider':
      return { status: 400, code: payloadCode(error.field, 'invalid_request') };
    case 'malformed_request':
      return { status: 400, code: 'malformed_request' };
    case 'format_unavailable':
      return { status: 400, code: 'format_unavailable' };
    // "Fix the payload": the same key was sent with another body.
    case 'idempotency_key_reused':
      return { status: 400, code: 'idempotency_key_reused' };
    case 'provider_rejected':
      return { status: 400, code: 'synthesis_rejected' };
    case 'unauthorized':
      return { status: 401, code: 'unauthorized' };
    case 'insufficient_credits':
      return { status: 402, code: 'insufficient_credits' };
    case 'key_budget_exceeded':
      return { status: 402, code: 'key_budget_exceeded' };
    case 'forbidden':
      return { status: 403, code: 'forbidden' };
    case 'job_not_found':
      return { status: 404, code: 'task_not_found' };
    case 'not_found':
      return { status: 404, code: 'not_found' };
    case 'method_not_allowed':
      return { status: 405, code: 'method_not_allowed' };
    case 'job_not_ready':
      return { status: 409, code: 'task_not_ready' };
    case 'link_expired':
      return { status: 410, code: 'link_expired' };
    case 'payload_too_large':
      return { status: 413, code: 'payload_too_large' };
    case 'unsupported_media_type':
      return { status: 415, code: 'unsupported_media_type' };
    case 'rate_limited':
      return { status: 429, code: 'rate_limited' };
    case 'too_many_jobs':
      return { status: 429, code: 'too_many_active_tasks' };
    case 'provider_unavailable':
    case 'all_providers_failed':
      return { status: 502, code: 'synthesis_failed' };
    case 'service_unavailable':
      return { status: 503, code: 'service_unavailable' };
    case 'provider_timeout':
      return { status: 504, code: 'synthesis_timeout' };
    case 'job_stalled':
    case 'internal':
      return { status: 500, code: 'internal_error' };
    default:
      return assertUnreachable(code);
  }
}

/** `{status, code, message}` for every failure under /api/open, validation and unknown routes included. */
export class FishErrorEnvelope implements ErrorEnvelope {
  readonly face = 'fish';

  owns(path: string): boolean {
    return fishOwnsPath(path);
  }

  render(error: TtsError): RenderedError {
    const { status, code } = fishErrorKind(error);
    const body: FishErrorBody = { status, code, message: error.message };
    const headers: Record<string, string> = {};
    if (status === 503 && error.retryAfterSeconds === undefined) headers['retry-after'] = String(DEFAULT_UNAVAILABLE_RETRY_SECONDS);
    const allow = error.details?.allow;
    if (code === 'method_not_allowed' && typeof allow === 'string') headers.allow = allow;
    if (status === 401) headers['www-authenticate'] = 'Bearer';
    return { status, body, headers };
  }
}
