import type { NextFunction, Response } from 'express';
import type { Logger } from 'pino';
import type { ServiceRequest } from '../request-context';

/** One JSON line per request. The query string is left out: clients sometimes put keys there. */
export function accessLogMiddleware(logger: Logger) {
  return (request: ServiceRequest, response: Response, next: NextFunction): void => {
    response.on('finish', () => {
      const durationMs = Number(process.hrtime.bigint() - request.startedAt) / 1e6;
      logger.info(
        {
          requestId: request.id,
          method: request.method,
          path: request.path,
          status: response.statusCode,
          durationMs: Math.round(durationMs * 100) / 100,
          tenantId: request.principal?.tenantId,
          provider: response.getHeader('x-tts-provider'),
        },
        'request',
      );
    });
    next();
  };
}
