import type { Response } from 'express';
import type { Logger } from 'pino';
import type { ServiceRequest } from '../request-context';
import { describeOutage } from './dependency-outage';
import { toTtsError } from './to-tts-error';
import type { ErrorEnvelopes } from './error-envelopes';
import { isOperatorFailure, RequestFailureListeners } from './request-failures';

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
  failures?: RequestFailureListeners,
): void {
  const error = toTtsError(exception);
  if (response.destroyed && !response.writableFinished) {
    // The client hung up: what failed after it left (its cancelled synthesis, usually) is nobody's
    // failure and there is no one to answer.
    logger.debug(
      { path: request.path, code: error.code, reason: error.message },
      'client closed the connection before the answer was complete',
    );
    return;
  }
  if (error.code === 'internal') {
    logger.error({ err: error.cause ?? error, path: request.path }, 'unexpected error');
  } else if (error.code === 'service_unavailable') {
    // The service's own state, not a bug: a warning naming what failed, without a stack.
    logger.warn(
      { path: request.path, code: error.code, reason: error.cause ? describeOutage(error.cause) : error.message },
      'dependency unavailable; answered 503',
    );
  } else if (error.code === 'all_providers_failed') {
    // Envelopes show clients codes and durations only; the providers' own messages are for operators.
    logger.warn({ path: request.path, code: error.code, attempts: error.details?.attempts }, 'synthesis failed on every provider tried');
  }
  const envelope = envelopes.forPath(request.path);
  const rendered = envelope.render(error, request);
  if (failures && isOperatorFailure(rendered.status, error.details)) {
    failures.notify({
      requestId: request.id,
      at: new Date().toISOString(),
      method: request.method,
      path: request.path,
      face: envelope.face,
      status: rendered.status,
      code: error.code,
      message: error.message,
      tenantId: request.principal?.tenantId,
      tenantName: request.principal?.tenantName,
      attempts: Array.isArray(error.details?.attempts) ? error.details.attempts : undefined,
    });
  }
  if (response.headersSent) {
    response.destroy();
    return;
  }
  response.status(rendered.status);
  response.setHeader('x-request-id', request.id);
  if (error.retryAfterSeconds !== undefined) response.setHeader('retry-after', String(Math.max(1, Math.ceil(error.retryAfterSeconds))));
  for (const [name, value] of Object.entries(rendered.headers ?? {})) response.setHeader(name, value);
  response.setHeader('content-type', `${rendered.contentType ?? 'application/json'}; charset=utf-8`);
  response.end(JSON.stringify(rendered.body));
}
