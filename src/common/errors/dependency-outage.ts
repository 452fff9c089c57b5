/**
 * Recognises the failures that mean "PostgreSQL or Redis cannot be reached right now" (refused or
 * dropped connections, a server shutting down or starting up, a pool that cannot connect in time),
 * as opposed to a bug or a bad statement. Such a failure is the service's temporary state, not the
 * client's fault nor an unexpected error: every face answers it 503 with Retry-After, the log gets a
 * warning without a stack, and the worker postpones a job instead of spending one of its attempts.
 */

import { TtsError } from '../tts-error';

/** Seconds a client is asked to wait: a restart of either server takes a few seconds. */
export const DEPENDENCY_RETRY_AFTER_SECONDS = 5;

const NETWORK_ERROR_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * SQLSTATEs of a server that cannot serve now: class 08 (connection exception), the shutdown and
 * start-up codes of class 57 and too_many_connections. (Class 40 and 55 are the caller's to retry.)
 */
const UNAVAILABLE_SQLSTATES = new Set(['57P01', '57P02', '57P03', '53300']);

/** Messages of node-postgres, its pool and ioredis that carry no code. */
const OUTAGE_MESSAGES = [
  /^Connection terminated/,
  /timeout exceeded when trying to connect/,
  /Client has encountered a connection error and is not queryable/,
  /^Connection is closed\.?$/,
  /Stream isn't writeable and enableOfflineQueue options is false/,
  /^Reached the max retries per request limit/,
  /^Command timed out$/,
];

interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
  cause?: unknown;
  driverError?: unknown;
  errors?: unknown;
}

function isOutageItself(error: ErrorLike): boolean {
  const code = typeof error.code === 'string' ? error.code : undefined;
  if (code && (NETWORK_ERROR_CODES.has(code) || UNAVAILABLE_SQLSTATES.has(code) || /^08[0-9A-Z]{3}$/.test(code))) return true;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  const message = typeof error.message === 'string' ? error.message : '';
  return OUTAGE_MESSAGES.some((pattern) => pattern.test(message));
}

/** True when `exception`, or what it wraps (TypeORM's driverError, a cause, an AggregateError's parts), is an outage. */
export function isDependencyOutage(exception: unknown, depth = 0): boolean {
  // A TtsError is classified already; its cause may be an upstream's refused connection, which is no outage of ours.
  if (!exception || typeof exception !== 'object' || exception instanceof TtsError || depth > 4) return false;
  const error = exception as ErrorLike;
  if (isOutageItself(error)) return true;
  const wrapped = [error.driverError, error.cause, ...(Array.isArray(error.errors) ? error.errors : [])];
  return wrapped.some((inner) => isDependencyOutage(inner, depth + 1));
}

/** One line for the log: what failed and how, never a stack. */
export function describeOutage(exception: unknown): string {
  const error = (exception ?? {}) as ErrorLike;
  const inner = (error.driverError ?? error.cause) as ErrorLike | undefined;
  const code = typeof error.code === 'string' ? error.code : typeof inner?.code === 'string' ? inner.code : undefined;
  const message = typeof error.message === 'string' && error.message ? error.message : String(exception);
  return code && !message.includes(code) ? `${code}: ${message}` : message;
}

/** The domain error an outage becomes. */
export function outageError(exception: unknown): TtsError {
  return new TtsError('service_unavailable', 'The service is temporarily unavailable; try again shortly.', {
    retryAfterSeconds: DEPENDENCY_RETRY_AFTER_SECONDS,
    cause: exception,
  });
}
