import type { ErrorEnvelope, RenderedError } from '../../common/errors/error-envelope';
import type { ServiceRequest } from '../../common/request-context';
import type { TtsError, TtsErrorCode } from '../../common/tts-error';
import { openAiErrorClass } from '../openai/openai-error.envelope';

export const BIFROST_PATH_PREFIX = '/v1/async/';
export const BIFROST_SPEECH_REQUEST_TYPE = 'speech';

/** What the error is about: Bifrost's `extra_fields`. */
export interface BifrostErrorContext {
  eventId: string;
  provider: string | null;
  modelRequested: string | null;
  requestType: string | null;
}

/** Failures an upstream produced rather than this gateway: Bifrost marks them `is_bifrost_error: false`. */
const UPSTREAM_CODES: ReadonlySet<TtsErrorCode> = new Set([
  'provider_rejected',
  'provider_timeout',
  'provider_unavailable',
  'all_providers_failed',
]);

/** `provider/model` split the way Bifrost reports it; anything else is not attributable. */
export function splitModel(model: unknown): { provider: string | null; modelRequested: string | null } {
  if (typeof model !== 'string' || !model.includes('/'))
    return { provider: null, modelRequested: typeof model === 'string' && model !== '' ? model : null };
  const slash = model.indexOf('/');
  return { provider: model.slice(0, slash) || null, modelRequested: model.slice(slash + 1) || null };
}

/** Bifrost's `BifrostError` body and the status it travels with. */
export function bifrostError(error: TtsError, context: BifrostErrorContext): { status: number; body: Record<string, unknown> } {
  const { status, type } = openAiErrorClass(error);
  return {
    status,
    body: {
      event_id: context.eventId,
      type,
      is_bifrost_error: !UPSTREAM_CODES.has(error.code),
      status_code: status,
      error: { type, code: error.code, message: error.message, param: error.field ?? null, event_id: context.eventId },
      extra_fields: { provider: context.provider, model_requested: context.modelRequested, request_type: context.requestType },
    },
  };
}

/** Every failure under /v1/async/ (validation, auth, unknown routes, internals) as a BifrostError. */
export class BifrostErrorEnvelope implements ErrorEnvelope {
  readonly face = 'bifrost';

  owns(path: string): boolean {
    return path.startsWith(BIFROST_PATH_PREFIX);
  }

  render(error: TtsError, request: ServiceRequest): RenderedError {
    const body = request.body as Record<string, unknown> | undefined;
    const model = body && typeof body === 'object' ? body.model : undefined;
    const speech = request.path.startsWith(`${BIFROST_PATH_PREFIX}audio/speech`);
    const rendered = bifrostError(error, {
      eventId: request.id,
      ...splitModel(model),
      requestType: speech ? BIFROST_SPEECH_REQUEST_TYPE : null,
    });
    return { status: rendered.status, body: rendered.body };
  }
}
