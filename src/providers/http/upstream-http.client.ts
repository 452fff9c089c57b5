import http, { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { HttpClientPolicy } from '../../config/providers.config';
import { Deadline, isTimeoutReason } from './deadline';
import { errorFromResponse, transportError, UpstreamError } from './upstream-error';

export interface UpstreamRequest {
  /** Provider id, for error messages. */
  provider: string;
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string | Buffer;
  /** The caller's cancellation (the route attempt's signal). */
  signal: AbortSignal;
  /** Total budget for this call: connect, send, headers and the whole body. */
  timeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface RawAnswer extends UpstreamResponse {
  /** Set when the answer is a redirect: where to. */
  location?: string;
}

const FOLLOWABLE_REDIRECTS = new Set([307, 308]);

/**
 * The one HTTP client of every upstream provider (node:http, keep-alive). Each call has a connect
 * timeout and a total timeout, follows the caller's cancellation, caps the body while it streams in,
 * and turns every failure into an UpstreamError through one normaliser. Redirects: only 307/308 to the
 * same origin, at most `max_same_host_redirects` times (they keep method and body); a redirect to another
 * origin, or a 301/302/303 (which would turn the POST into a GET), is refused.
 */
export class UpstreamHttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly policy: HttpClientPolicy) {}

  /** Resolves with a 2xx answer; rejects with an UpstreamError for anything else. */
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const deadline = new Deadline(request.signal, request.timeoutMs);
    try {
      let url = new URL(request.url);
      for (let redirects = 0; ; redirects++) {
        const answer = await this.once(url, request, deadline);
        if (answer.location === undefined) {
          if (answer.status >= 200 && answer.status < 300) return answer;
          const retryAfter = answer.headers['retry-after'];
          throw errorFromResponse(request.provider, answer.status, answer.body, typeof retryAfter === 'string' ? retryAfter : null);
        }
        url = this.redirectTarget(request.provider, url, answer, redirects);
      }
    } finally {
      deadline.dispose();
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private redirectTarget(provider: string, from: URL, answer: RawAnswer, followed: number): URL {
    let to: URL;
    try {
      to = new URL(answer.location ?? '', from);
    } catch {
      throw transportError(provider, 'redirect', `HTTP ${answer.status} to an unreadable location`);
    }
    if (to.origin !== from.origin)
      throw transportError(provider, 'redirect', `HTTP ${answer.status} to another host (${to.origin}) refused`);
    if (!FOLLOWABLE_REDIRECTS.has(answer.status))
      throw transportError(provider, 'redirect', `HTTP ${answer.status} would change the method; refused`);
    if (followed >= this.policy.max_same_host_redirects)
      throw transportError(provider, 'redirect', `more than ${this.policy.max_same_host_redirects} redirects`);
    return to;
  }

  private once(url: URL, request: UpstreamRequest, deadline: Deadline): Promise<RawAnswer> {
    const signal = deadline.signal;
    return new Promise<RawAnswer>((resolve, reject) => {
      let settled = false;
      const finish = (error: UpstreamError | undefined, answer?: RawAnswer) => {
        if (settled) return;
        settled = true;
        signal.removeEventListener('abort', onAbort);
        clearTimeout(connectTimer);
        if (error) {
          outgoing.destroy();
          reject(error);
        } else resolve(answer as RawAnswer);
      };
      const onAbort = () => finish(this.abortError(request, deadline));
      let connectTimer: NodeJS.Timeout | undefined;
      if (signal.aborted) return reject(this.abortError(request, deadline));
      signal.addEventListener('abort', onAbort, { once: true });

      const secure = url.protocol === 'https:';
      const body = request.body === undefined ? undefined : Buffer.isBuffer(request.body) ? request.body : Buffer.from(request.body);
      const outgoing = (secure ? https : http).request(url, {
        method: request.method ?? 'POST',
        headers: { ...request.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        agent: secure ? this.httpsAgent : this.httpAgent,
      });
      outgoing.on('socket', (socket: Socket) => {
        if (!socket.connecting) return; // a kept-alive socket is already connected
        connectTimer = setTimeout(
          () => finish(transportError(request.provider, 'connect_timeout', `${this.policy.connect_timeout_ms} ms`)),
          this.policy.connect_timeout_ms,
        );
        socket.once(secure ? 'secureConnect' : 'connect', () => clearTimeout(connectTimer));
      });
      outgoing.on('error', (error: NodeJS.ErrnoException) =>
        finish(transportError(request.provider, 'connection', error.code ?? error.message, error)),
      );
      outgoing.on('response', (response) => this.readBody(request.provider, response, (error, answer) => finish(error, answer)));
      outgoing.end(body);
    });
  }

  /** Streams the body in, stopping at the size cap; redirects are not read at all. */
  private readBody(
    provider: string,
    response: IncomingMessage,
    done: (error: UpstreamError | undefined, answer?: RawAnswer) => void,
  ): void {
    const status = response.statusCode ?? 0;
    const location = status >= 300 && status < 400 ? response.headers.location : undefined;
    if (location !== undefined) {
      response.resume();
      return done(undefined, { status, headers: response.headers, body: Buffer.alloc(0), location });
    }
    const declared = Number(response.headers['content-length']);
    if (Number.isFinite(declared) && declared > this.policy.max_response_bytes) {
      // Settle first: destroying the response emits 'aborted' synchronously.
      done(transportError(provider, 'too_large', `${this.policy.max_response_bytes} bytes (declared ${declared})`));
      return void response.destroy();
    }
    const chunks: Buffer[] = [];
    let received = 0;
    response.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > this.policy.max_response_bytes) {
        done(transportError(provider, 'too_large', `${this.policy.max_response_bytes} bytes`));
        return void response.destroy();
      }
      chunks.push(chunk);
    });
    response.on('end', () => done(undefined, { status, headers: response.headers, body: Buffer.concat(chunks) }));
    response.on('error', (error: NodeJS.ErrnoException) =>
      done(transportError(provider, 'connection', `response cut short (${error.code ?? error.message})`, error)),
    );
    response.on('aborted', () => done(transportError(provider, 'connection', 'response cut short')));
  }

  private abortError(request: UpstreamRequest, deadline: Deadline): UpstreamError {
    // The caller's signal usually carries the route target's own timeout: that is a timeout too.
    if (deadline.timedOut || isTimeoutReason(request.signal.reason))
      return transportError(request.provider, 'timeout', `${request.timeoutMs} ms`);
    return new UpstreamError('provider_unavailable', `${request.provider}: call cancelled by the caller`, false, {
      provider: request.provider,
    });
  }
}
