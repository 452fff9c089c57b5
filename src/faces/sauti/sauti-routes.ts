/** The paths the Sauti face owns: errors under them are rendered as RFC 7807 problems. */
export const SAUTI_PATH_PREFIXES = ['/v1/text-to-speech', '/v1/tts', '/v1/voices', '/v1/webhooks', '/v1/usage', '/v1/keys'] as const;

/** Sync requests up to this many characters are answered inline; longer ones become jobs. */
export const SAUTI_SYNC_MAX_CHARACTERS = 2000;
/** The document's hard limit on `text`. */
export const SAUTI_MAX_CHARACTERS = 5000;

/** The face's routes and their methods: what a wrong-method request is told in `Allow`. */
const SAUTI_ROUTES: Array<{ pattern: RegExp; methods: string[] }> = [
  { pattern: /^\/v1\/text-to-speech\/[^/]+\/?$/, methods: ['POST'] },
  { pattern: /^\/v1\/tts\/jobs\/?$/, methods: ['POST'] },
  { pattern: /^\/v1\/tts\/jobs\/[^/]+\/?$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/tts\/jobs\/[^/]+\/audio\/?$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/voices\/?$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/voices\/[^/]+\/?$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/webhooks\/?$/, methods: ['GET', 'HEAD', 'POST'] },
  { pattern: /^\/v1\/webhooks\/[^/]+\/?$/, methods: ['GET', 'HEAD', 'PATCH', 'DELETE'] },
  { pattern: /^\/v1\/webhooks\/[^/]+\/rotate-secret\/?$/, methods: ['POST'] },
  { pattern: /^\/v1\/webhooks\/[^/]+\/deliveries\/?$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/webhooks\/[^/]+\/deliveries\/[^/]+\/retry\/?$/, methods: ['POST'] },
  { pattern: /^\/v1\/usage\/?$/, methods: ['GET', 'HEAD'] },
  { pattern: /^\/v1\/keys\/?$/, methods: ['GET', 'HEAD', 'POST'] },
  { pattern: /^\/v1\/keys\/[^/]+\/?$/, methods: ['GET', 'HEAD', 'PATCH', 'DELETE'] },
];

/** The methods a Sauti path accepts, or undefined when no Sauti route has that path. */
export function allowedMethodsFor(path: string): string[] | undefined {
  return SAUTI_ROUTES.find((route) => route.pattern.test(path))?.methods;
}
