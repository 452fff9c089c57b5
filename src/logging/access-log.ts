import type { NextFunction, Response } from 'express';
import { storage as requestLoggers, Store } from 'nestjs-pino/storage';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
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
 * pino-http would bind the serialized request to a child logger on every request, even in quiet mode
 * (≈ 15 µs each). Nothing here logs a `req` or `res` object, so request loggers leave those keys out.
 */
const omitted = () => undefined;

/**
 * Express middleware (pino-http) that gives each request a child logger bound to its id (`requestId`,
 * set by requestIdMiddleware just before), keeps it in nestjs-pino's AsyncLocalStorage for the rest of
 * the request (where `RootLogger.pino` and Nest's logger find it) and writes the access line when the
 * response ends. Mounted with `app.use` before the body parsers, so requests refused there (413, 415,
 * malformed JSON) are logged and have the context too; nestjs-pino's own middleware, which Nest mounts
 * after every `app.use`, is switched off (LoggingModule). Every status is logged at `info`, as before.
 */
export function accessLogger(root: Logger): (request: ServiceRequest, response: Response, next: NextFunction) => void {
  const httpLogger = pinoHttp<ServiceRequest, Response>({
    logger: root,
    genReqId: (request) => request.id,
    customAttributeKeys: { reqId: 'requestId' },
    quietReqLogger: true,
    quietResLogger: true,
    wrapSerializers: false,
    serializers: { req: omitted, res: omitted },
    customLogLevel: () => 'info',
    customSuccessMessage: () => 'request',
    customErrorMessage: () => 'request',
    customSuccessObject: (request, response) => accessFields(request, response),
    customErrorObject: (request, response) => accessFields(request, response),
  });
  return (request, response, next) => httpLogger(request, response, () => requestLoggers.run(new Store(request.log), next));
}
