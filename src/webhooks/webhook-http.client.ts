import http, { IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { ResolvedAddress } from './webhook-address-guard';

/** What is kept of a receiver's answer: enough for the delivery log, never a whole page. */
export const RESPONSE_SNIPPET_BYTES = 2048;

export interface WebhookResponse {
  status: number;
  /** The first RESPONSE_SNIPPET_BYTES of the body, as text. */
  snippet: string;
  location?: string;
}

/** The attempt never got an HTTP answer: refused, reset, TLS failure, timeout. */
export class WebhookTransportError extends Error {}

/** A lookup that answers the address already checked, whatever DNS says now (no rebinding). */
function pinnedLookup(target: ResolvedAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if ((options as { all?: boolean }).all) (callback as (e: null, a: Array<{ address: string; family: number }>) => void)(null, [target]);
    else callback(null, target.address, target.family);
  };
}

/**
 * One POST of a delivery: to the checked address, within `timeoutMs` for the whole exchange, no
 * redirects followed (Node's http never follows them), and at most RESPONSE_SNIPPET_BYTES of the
 * answer read before the connection is closed. Node's own client rather than fetch: fetch cannot be
 * told which address to connect to, which is the DNS-rebinding defence.
 */
export class WebhookHttpClient {
  private readonly agents = {
    http: new http.Agent({ keepAlive: true, maxSockets: 64, timeout: 30_000 }),
    https: new https.Agent({ keepAlive: true, maxSockets: 64, timeout: 30_000 }),
  };

  post(url: URL, target: ResolvedAddress, headers: Record<string, string>, body: string, timeoutMs: number): Promise<WebhookResponse> {
    const secure = url.protocol === 'https:';
    return new Promise((resolve, reject) => {
      const payload = Buffer.from(body, 'utf8');
      const request = (secure ? https : http).request(url, {
        method: 'POST',
        agent: secure ? this.agents.https : this.agents.http,
        lookup: pinnedLookup(target),
        headers: { ...headers, 'content-length': String(payload.length) },
      });
      const timer = setTimeout(() => request.destroy(new WebhookTransportError(`no answer within ${timeoutMs} ms`)), timeoutMs);
      const finish = (outcome: () => void) => {
        clearTimeout(timer);
        outcome();
      };
      request.on('error', (error) => finish(() => reject(asTransportError(error))));
      request.on('response', (response) =>
        readSnippet(response).then(
          (snippet) => finish(() => resolve({ status: response.statusCode ?? 0, snippet, location: response.headers.location })),
          (error: Error) => finish(() => reject(asTransportError(error))),
        ),
      );
      request.end(payload);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function asTransportError(error: Error): WebhookTransportError {
  if (error instanceof WebhookTransportError) return error;
  const code = (error as NodeJS.ErrnoException).code;
  return new WebhookTransportError(code ? `${code}: ${error.message}` : error.message);
}

/** Reads up to the cap; a longer answer is cut and its connection closed rather than drained. */
function readSnippet(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let settled = false;
    const settle = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      outcome();
    };
    const done = () => settle(() => resolve(Buffer.concat(chunks).subarray(0, RESPONSE_SNIPPET_BYTES).toString('utf8')));
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= RESPONSE_SNIPPET_BYTES) {
        done();
        response.destroy();
      }
    });
    response.on('end', done);
    response.on('error', (error) => settle(() => reject(error)));
    response.on('close', () => settle(() => reject(new WebhookTransportError('the receiver closed the connection mid-answer'))));
  });
}
