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

/** U+0000, and UTF-16 surrogates that do not form a pair (in a `u` regex a surrogate class matches only those). */
// eslint-disable-next-line no-control-regex -- matching NUL is the point
const UNSTORABLE = /\u0000|[\uD800-\uDFFF]/u;
const MAX_DEPTH = 32;

/** The path of the first string (or key) in `value` that holds an unstorable character, with that character. */
function firstUnstorable(value: unknown, path: string, depth = 0): { field: string; nul: boolean } | undefined {
  if (typeof value === 'string') {
    const match = UNSTORABLE.exec(value);
    return match ? { field: path, nul: match[0] === '\u0000' } : undefined;
  }
  if (!value || typeof value !== 'object' || depth > MAX_DEPTH) return undefined;
  for (const [key, inner] of Object.entries(value)) {
    const field = Array.isArray(value) ? `${path}[${key}]` : path === 'body' ? key : `${path}.${key}`;
    if (UNSTORABLE.test(key)) return { field, nul: key.includes('\u0000') };
    const found = firstUnstorable(inner, field, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/**
 * JSON escapes can smuggle what no text column takes: NUL (`\u0000`, which PostgreSQL refuses in
 * text and jsonb) and lone surrogates (not Unicode text). No field of any face means either, so the
 * body is refused here, naming the field, in the face's envelope, instead of failing deep inside.
 */
function rejectUnstorableStrings(request: ServiceRequest, _response: Response, next: NextFunction): void {
  const found = request.body === undefined ? undefined : firstUnstorable(request.body, 'body');
  if (!found) return next();
  const detail = found.nul
    ? 'contains a NUL character (U+0000), which no field accepts.'
    : 'contains an unpaired UTF-16 surrogate; it must be valid Unicode text.';
  next(new TtsError('invalid_request', `Field '${found.field}' ${detail}`, { field: found.field }));
}

export function jsonBodyParser(limitBytes: number) {
  return [
    json({ limit: limitBytes, type: ['application/json', 'application/*+json'], strict: false, verify: rejectInvalidUtf8 }),
    rejectUnstorableStrings,
  ];
}
