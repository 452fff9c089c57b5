/** The admin API as the page uses it: same-origin fetches, the session cookie, and the CSRF token on changes. */

export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly field?: string,
  ) {
    super(message);
  }
}

let csrfToken: string | undefined;
let onSignedOut: (message: string) => void = () => undefined;

export function setCsrfToken(token: string | undefined): void {
  csrfToken = token;
}

/** Called when any answer says the session is gone (expired, signed out elsewhere, key revoked). */
export function whenSignedOut(listener: (message: string) => void): void {
  onSignedOut = listener;
}

export async function adminApi<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<T> {
  const response = await fetch(`/admin/v1${path}`, {
    method,
    credentials: 'same-origin',
    headers: {
      accept: 'application/json',
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(method !== 'GET' && csrfToken ? { 'x-csrf-token': csrfToken } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  if (response.status === 204) return undefined as T;
  const json = (await response.json().catch(() => undefined)) as { error?: Record<string, unknown> } | undefined;
  if (!response.ok) {
    const error = json?.error ?? {};
    const failure = new AdminApiError(
      response.status,
      String(error.code ?? `http_${response.status}`),
      String(error.message ?? response.statusText),
      error.details as Record<string, unknown> | undefined,
      error.field as string | undefined,
    );
    if (response.status === 401 && path !== '/session') onSignedOut('Your session has ended. Sign in again.');
    throw failure;
  }
  return json as T;
}

export const get = <T>(path: string) => adminApi<T>('GET', path);
export const post = <T>(path: string, body: unknown, headers?: Record<string, string>) => adminApi<T>('POST', path, body, headers);
export const remove = <T>(path: string) => adminApi<T>('DELETE', path);

/** A message fit for a person, whatever failed. */
export function describeError(error: unknown): string {
  if (error instanceof AdminApiError) return `${error.message} (${error.code}, HTTP ${error.status})`;
  if (error instanceof TypeError) return 'The service could not be reached. Is the api running?';
  return (error as Error)?.message ?? String(error);
}

export function randomKey(): string {
  return crypto.randomUUID();
}
