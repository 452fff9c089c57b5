import type { Response } from 'express';
import type { Logger } from 'pino';
import type { ServiceRequest } from '../request-context';
import { toTtsError } from './to-tts-error';
import type { ErrorEnvelopes } from './error-envelopes';

/**
 * Writes any failure as JSON in the envelope of the face that owns the path. Shared by the Nest
 * exception filter and the Express error handler that catches body-parser failures. `logger` is the
 * request's own (pino-http's `request.log`), which already carries its `requestId`.
 */
export function writeError(
  exception: unknown,
  request: ServiceRequest,
  response: Response,
  envelopes: ErrorEnvelopes,
  logger: Logger,
): void {
  const error = toTtsError(exception);
  if (error.code === 'internal') {
    logger.error({ err: error.cause ?? error, path: request.path }, 'unexpected error');
  } else if (error.code === 'all_providers_failed') {
    // Envelopes show clients codes and durations only; the providers' own messages are for operators.
    logger.warn({ path: request.path, code: error.code, attempts: error.details?.attempts }, 'synthesis failed on every provider tried');
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  const rendered = envelopes.forPath(request.path).render(error, request);
  response.status(rendered.status);
  response.setHeader('x-request-id', request.id);
  if (error.retryAfterSeconds !== undefined) response.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  for (const [name, value] of Object.entries(rendered.headers ?? {})) response.setHeader(name, value);
  response.setHeader('content-type', `${rendered.contentType ?? 'application/json'}; charset=utf-8`);
  response.end(JSON.stringify(rendered.body));
}
