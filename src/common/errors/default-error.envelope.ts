import type { ServiceRequest } from '../request-context';
import { defaultHttpStatus, TtsError } from '../tts-error';
import type { ErrorEnvelope, RenderedError } from './error-envelope';

/** The envelope for paths no API face owns (health, metrics, admin): `{error: {code, message, ...}}`. */
export class DefaultErrorEnvelope implements ErrorEnvelope {
  readonly face = 'default';

  owns(): boolean {
    return true;
  }

  render(error: TtsError, request: ServiceRequest): RenderedError {
    return {
      status: defaultHttpStatus(error.code),
      body: {
        error: {
          code: error.code,
          message: error.message,
          ...(error.field ? { field: error.field } : {}),
          ...(error.details ? { details: error.details } : {}),
          request_id: request.id,
        },
      },
    };
  }
}
