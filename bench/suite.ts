import http from 'node:http';

/** One benchmark of `npm run bench`. Append new suites to SUITES in bench/run.ts. */
export interface Suite {
  /** Short, file-name safe: results go to bench/results/<name>-<timestamp>.json. */
  name: string;
  description?: string;
  /**
   * Measures and returns the figures. A `rows` array of flat objects is printed as a table;
   * every other top-level value is printed as `key: value`. Everything is written to the JSON file.
   */
  run(): Promise<Record<string, unknown>>;
}

export function percentile(sortedOrNot: number[], p: number): number {
  if (sortedOrNot.length === 0) return Number.NaN;
  const sorted = [...sortedOrNot].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index];
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

/** POSTs a JSON body and drains the answer; resolves with the status code. */
export async function postJson(agent: http.Agent, url: string, body: string, headers: Record<string, string> = {}): Promise<number> {
  return (await postJsonAnswer(agent, url, body, headers)).status;
}

/** POSTs a JSON body and drains the answer; resolves with the status code and the response headers. */
export function postJsonAnswer(
  agent: http.Agent,
  url: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: http.IncomingHttpHeaders }> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), ...headers },
      },
      (response) => {
        response.on('data', () => undefined);
        response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers }));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}
