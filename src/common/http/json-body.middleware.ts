import type { NextFunction, Response } from 'express';
import { json } from 'express';
import { TtsError } from '../tts-error';
import type { ServiceRequest } from '../request-context';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH']);

function hasBody(request: ServiceRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Every body this service accepts is JSON: anything else is refused with 415 before parsing. */
export function requireJsonContentType(request: ServiceRequest, _response: Response, next: NextFunction): void {
  if (!BODY_METHODS.has(request.method) || !hasBody(request)) return next();
  const type = (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return next();
  next(new TtsError('unsupported_media_type', `Content-Type must be application/json, got '${type || 'none'}'.`));
}

export function jsonBodyParser(limitBytes: number) {
  return json({ limit: limitBytes, type: ['application/json', 'application/*+json'], strict: false });
}
