import { HttpException } from '@nestjs/common';
import { TtsError, TtsErrorCode } from '../tts-error';
import { isDependencyOutage, outageError } from './dependency-outage';

interface BodyParserError {
  type?: string;
  status?: number;
  expose?: boolean;
  limit?: number;
  message?: string;
}

const HTTP_STATUS_CODES: Record<number, TtsErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  422: 'invalid_request',
  429: 'rate_limited',
  503: 'service_unavailable',
};

function fromBodyParser(error: BodyParserError): TtsError | undefined {
  switch (error.type) {
    case 'entity.parse.failed':
      return new TtsError('malformed_request', 'The request body is not valid JSON.');
    case 'entity.too.large':
      return new TtsError('payload_too_large', `The request body exceeds the limit of ${error.limit} bytes.`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new TtsError('unsupported_media_type', 'The request body must be UTF-8 encoded JSON.');
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new TtsError('malformed_request', 'The request body could not be read.');
    default:
      return undefined;
  }
}

/**
 * Turns anything thrown while serving a request into a TtsError. PostgreSQL or Redis out of reach is
 * `service_unavailable` (503, Retry-After). Unknown exceptions become `internal` with a fixed
 * message: their text may carry internals and is only logged.
 */
export function toTtsError(exception: unknown): TtsError {
  if (exception instanceof TtsError) return exception;
  if (exception instanceof HttpException) {
    const status = exception.getStatus();
    const code = HTTP_STATUS_CODES[status] ?? (status >= 500 ? 'internal' : 'invalid_request');
    const message = code === 'internal' ? 'An unexpected error occurred.' : exception.message;
    return new TtsError(code, message, { cause: exception });
  }
  if (exception && typeof exception === 'object') {
    const parsed = fromBodyParser(exception as BodyParserError);
    if (parsed) return parsed;
  }
  if (isDependencyOutage(exception)) return outageError(exception);
  return new TtsError('internal', 'An unexpected error occurred.', { cause: exception });
}
