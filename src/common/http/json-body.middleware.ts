import { isUtf8 } from 'node:buffer';
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

/**
 * JSON text is UTF-8 (RFC 8259): a body with invalid byte sequences is refused (422 naming `body`)
 * instead of being decoded with U+FFFD replacement characters that would then be spoken or billed.
 */
function rejectInvalidUtf8(_request: unknown, _response: unknown, body: Buffer, encoding: string): void {
  if (/^utf-?8$/i.test(encoding) && !isUtf8(body)) {
    throw new TtsError('invalid_request', 'The request body is not valid UTF-8.', { field: 'body' });
  }
}

export function jsonBodyParser(limitBytes: number) {
  return json({ limit: limitBytes, type: ['application/json', 'application/*+json'], strict: false, verify: rejectInvalidUtf8 });
}
