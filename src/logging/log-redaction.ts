/**
 * Where a secret can sit in anything logged, as pino `redact` paths (https://getpino.io/#/docs/redaction).
 * Client API keys arrive as `xi-api-key`, `x-api-key` or `Authorization` headers and `api_key` fields;
 * upstream keys travel in the same headers on outgoing calls and live in providers' `apiKey`. pino
 * replaces each with `[redacted]` before the line is written, in JSON and pretty output alike.
 *
 * Paths are spelled out rather than wildcarded where possible: each `*` path makes pino walk every key of
 * every line (measured 2026-12-01: 123 µs per access line with `*.headers` / `*.*.headers` paths, 14 µs with
 * the explicit holders below), and the access line is written on every request.
 */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'xi-api-key', 'x-api-key', 'cookie', 'set-cookie'].flatMap((name) => [
  name,
  // Outgoing calls may spell them capitalised (Node lower-cases only the headers it receives).
  name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()),
]);

/** Objects that hold headers in what the code base logs: a request or response, an HTTP client's error. */
const HEADER_HOLDERS = [
  'headers',
  'req.headers',
  'request.headers',
  'res.headers',
  'response.headers',
  'config.headers',
  'options.headers',
  'err.config.headers',
  'err.request.headers',
  'err.response.headers',
];

/** Secret-named fields at the top of a line. */
const SECRET_FIELDS = ['apiKey', 'api_key', 'key', 'plaintext', 'password', 'secret', 'token', 'accessToken', 'signingSecret'];
/** …and the few worth a wildcard, one object down (a provider's `apiKey`, a body's `api_key`). */
const NESTED_SECRET_FIELDS = ['apiKey', 'api_key', 'password', 'secret'];

export const REDACTED_PATHS: string[] = [
  ...HEADER_HOLDERS.flatMap((holder) => SECRET_HEADERS.map((header) => `${holder}["${header}"]`)),
  ...SECRET_FIELDS,
  ...NESTED_SECRET_FIELDS.map((field) => `*.${field}`),
];

export const REDACTION_CENSOR = '[redacted]';
