import type { TestApi } from '../support/test-api';

/** HTTP helpers for the Fish face tests: real requests over loopback, JSON or bytes. */
export const TASKS_PATH = '/api/open/v1/speech/tts/jobs';

export interface FishResponse<T = Record<string, unknown>> {
  status: number;
  headers: Headers;
  body: T;
}

export async function fishCall<T = Record<string, unknown>>(
  api: Pick<TestApi, 'baseUrl'>,
  method: string,
  path: string,
  options: { apiKey?: string; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<FishResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;
  let body: string | undefined = options.rawBody;
  if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  } else if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
  const response = await fetch(`${api.baseUrl}${path}`, { method, headers, body });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: (text ? JSON.parse(text) : undefined) as T };
}

export function createTask(
  api: Pick<TestApi, 'baseUrl'>,
  apiKey: string,
  body: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return fishCall(api, 'POST', TASKS_PATH, { apiKey, body, headers });
}

/** Polls with a short backoff until the task leaves queued/processing. */
export async function pollUntilTerminal(
  api: Pick<TestApi, 'baseUrl'>,
  apiKey: string,
  taskId: string,
  timeoutMs = 45_000,
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { status, body } = await fishCall(api, 'GET', `${TASKS_PATH}/${taskId}`, { apiKey });
    if (status !== 200) throw new Error(`poll answered ${status}: ${JSON.stringify(body)}`);
    if (!['queued', 'processing'].includes(String(body.status))) return body;
    if (Date.now() > deadline) throw new Error(`task ${taskId} still ${String(body.status)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function download(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; bytes: Buffer }> {
  const response = await fetch(url, { headers });
  return { status: response.status, headers: response.headers, bytes: Buffer.from(await response.arrayBuffer()) };
}

/** The `{status, code, message}` envelope, and nothing else. */
export function expectFishError(response: FishResponse, status: number, code: string): void {
  expect({ status: response.status, body: response.body }).toEqual({ status, body: { status, code, message: expect.any(String) } });
  expect(response.headers.get('content-type')).toMatch(/^application\/json/);
}
