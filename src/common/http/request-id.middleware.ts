import { randomUUID } from 'node:crypto';
import type { NextFunction, Response } from 'express';
import { acceptableRequestId, ServiceRequest } from '../request-context';

/** Gives each request an id (the client's `x-request-id` when it is plain) and echoes it. */
export function requestIdMiddleware(request: ServiceRequest, response: Response, next: NextFunction): void {
  request.id = acceptableRequestId(request.headers['x-request-id']) ?? randomUUID();
  request.startedAt = process.hrtime.bigint();
  response.setHeader('x-request-id', request.id);
  next();
}
