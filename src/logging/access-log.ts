import type { Response } from 'express';
import type { Logger } from 'pino';
import { HttpLogger, Options, pinoHttp } from 'pino-http';
import type { ServiceRequest } from '../common/request-context';

/**
 * The one line logged per request, after the response (or when the client hung up first: `aborted`).
 * The query string is left out: clients sometimes put keys there. `requestId` comes from the
 * request's child logger, like on every other line logged during the request.
 */
function accessFields(request: ServiceRequest, response: Response): Record<string, unknown> {
  const durationMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
  return {
    method: request.method,
    path: request.path,
    status: response.statusCode,
    durationMs: Math.round(durationMs * 100) / 100,
    tenantId: request.principal?.tenantId,
    provider: response.getHeader('x-tts-provider'),
    aborted: response.writableEnded ? undefined : true,
  };
}

/**
 * pino-http options shared by the access logger and nestjs-pino's request context: each request gets a
 * child of the root logger bound to its id (`requestId`, set by requestIdMiddleware before either runs),
 * without the serialized request and response pino-http would otherwise bind to every line.
 */
export function requestLoggerOptions(root: Logger): Options {
  return {
    logger: root,
    genReqId: (request) => request.id,
    customAttributeKeys: { reqId: 'requestId' },
    quietReqLogger: true,
    quietResLogger: true,
  };
}

/**
 * Express middleware that writes the access line (pino-http). It is mounted with `app.use` before the
 * body parsers, so requests refused there (413, 415, malformed JSON) are logged too; Nest's module
 * middleware would run too late for them. Every status is logged at `info`, as before.
 */
export function accessLogger(root: Logger): HttpLogger<ServiceRequest, Response> {
  return pinoHttp<ServiceRequest, Response>({
    ...requestLoggerOptions(root),
    customLogLevel: () => 'info',
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customSuccessObject: (request, response) => accessFields(request, response),
    customErrorObject: (request, response) => accessFields(request, response),
  });
}
