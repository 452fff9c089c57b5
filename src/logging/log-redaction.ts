/**
 * Where a secret can sit in anything logged, as pino `redact` paths (https://getpino.io/#/docs/redaction).
 * Client API keys arrive as `xi-api-key`, `x-api-key` or `Authorization` headers and `api_key` fields;
 * upstream keys travel in the same headers on outgoing calls and live in providers' `apiKey`. pino
 * replaces each with `[redacted]` before the line is written, in JSON and pretty output alike.
 */
const SECRET_HEADERS = ['authorization', 'proxy-authorization', 'xi-api-key', 'x-api-key', 'cookie', 'set-cookie'].flatMap((name) => [
  name,
  // Outgoing calls may spell them capitalised (Node lower-cases only the headers it receives).
  name.replace(/(^|-)([a-z])/g, (_, dash: string, letter: string) => dash + letter.toUpperCase()),
]);
/** Objects that hold headers: at the top of the line, one level down (`req`, `request`, …) or two (`err.config`). */
const HEADER_HOLDERS = ['headers', '*.headers', '*.*.headers'];
const SECRET_FIELDS = ['apiKey', 'api_key', 'key', 'plaintext', 'password', 'secret', 'token', 'accessToken', 'signingSecret'];

export const REDACTED_PATHS: string[] = [
  ...HEADER_HOLDERS.flatMap((holder) => SECRET_HEADERS.map((header) => `${holder}["${header}"]`)),
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`]),
];

export const REDACTION_CENSOR = '[redacted]';
