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
  /** Budget until the answer's headers (connect, send, wait); `send` applies it to the whole body too. */
  timeoutMs: number;
}

export interface UpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A 2xx answer whose body is read as it arrives. */
export interface StreamingUpstreamResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** The declared Content-Length, when there is one. */
  contentLength?: number;
  /**
   * The body's chunks as they arrive, within the size cap, until the caller's signal aborts. Stopping
   * early (or the caller's signal) closes the connection, so the upstream sees the call abandoned.
   */
  body: AsyncIterable<Buffer>;
}

/** What one round trip gave: the response to read, or where a redirect points. */
type RawAnswer = { response: IncomingMessage; location?: undefined } | { response: IncomingMessage; location: string };

const FOLLOWABLE_REDIRECTS = new Set([307, 308]);

/** How much of an error answer is read for its message. */
const ERROR_BODY_BYTES = 64 * 1024;

/**
 * The one HTTP client of every upstream provider (node:http, keep-alive). Each call has a connect
 * timeout and a timeout until the answer's headers; a streamed body then lasts as long as the caller's
 * signal allows (the router times each chunk it waits for). It follows the caller's cancellation,
 * caps the body while it streams in, and turns every failure into an UpstreamError through one
 * normaliser. Redirects: only 307/308 to the same origin, at most `max_same_host_redirects` times (they
 * keep method and body); a redirect to another origin, or a 301/302/303 (which would turn the POST into
 * a GET), is refused.
 */
export class UpstreamHttpClient {
  private readonly httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256 });
  private readonly httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256 });

  constructor(private readonly policy: HttpClientPolicy) {}

  /**
   * Resolves as soon as a 2xx answer's headers are in, with its body to read as it arrives; rejects
   * with an UpstreamError for anything else (the error answer's message is read first).
   */
  async open(request: UpstreamRequest): Promise<StreamingUpstreamResponse> {
    const deadline = new Deadline(request.signal, request.timeoutMs);
    try {
      let url = new URL(request.url);
      for (let redirects = 0; ; redirects++) {
        const answer = await this.once(url, request, deadline);
        const { response } = answer;
        if (answer.location !== undefined) {
          response.resume();
          url = this.redirectTarget(request.provider, url, response.statusCode ?? 0, answer.location, redirects);
          continue;
        }
        const status = response.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          const body = await this.errorBody(response, deadline);
          const retryAfter = response.headers['retry-after'];
          throw errorFromResponse(request.provider, status, body, typeof retryAfter === 'string' ? retryAfter : null);
        }
        const declared = Number(response.headers['content-length']);
        const contentLength = response.headers['content-length'] !== undefined && Number.isFinite(declared) ? declared : undefined;
        if (contentLength !== undefined && contentLength > this.policy.max_response_bytes) {
          response.destroy();
          throw transportError(request.provider, 'too_large', `${this.policy.max_response_bytes} bytes (declared ${contentLength})`);
        }
        deadline.dispose();
        // Listening from here, not from the body's first read: a caller that stops before reading
        // (its own step failed) still closes the connection by aborting.
        const onAbort = () => response.destroy(this.abortError(request));
        if (request.signal.aborted) onAbort();
        else request.signal.addEventListener('abort', onAbort, { once: true });
        const body = this.readBody(request, response, onAbort);
        return { status, headers: response.headers, ...(contentLength !== undefined ? { contentLength } : {}), body };
      }
    } catch (error) {
      deadline.dispose();
      throw error;
    }
  }

  /** Resolves with a 2xx answer read whole within `timeoutMs`; rejects with an UpstreamError for anything else. */
  async send(request: UpstreamRequest): Promise<UpstreamResponse> {
    const deadline = new Deadline(request.signal, request.timeoutMs);
    try {
      const response = await this.open({ ...request, signal: deadline.signal });
      const chunks: Buffer[] = [];
      for await (const chunk of response.body) chunks.push(chunk);
      return { status: response.status, headers: response.headers, body: Buffer.concat(chunks) };
    } finally {
      deadline.dispose();
    }
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }

  private redirectTarget(provider: string, from: URL, status: number, location: string, followed: number): URL {
    let to: URL;
    try {
      to = new URL(location, from);
    } catch {
      throw transportError(provider, 'redirect', `HTTP ${status} to an unreadable location`);
    }
    if (to.origin !== from.origin) throw transportError(provider, 'redirect', `HTTP ${status} to another host (${to.origin}) refused`);
    if (!FOLLOWABLE_REDIRECTS.has(status)) throw transportError(provider, 'redirect', `HTTP ${status} would change the method; refused`);
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
      outgoing.on('response', (response) => {
        const status = response.statusCode ?? 0;
        const location = status >= 300 && status < 400 ? response.headers.location : undefined;
        finish(undefined, location === undefined ? { response } : { response, location });
      });
      outgoing.end(body);
    });
  }

  /** The start of an error answer, for its message; the rest is dropped with the connection. */
  private async errorBody(response: IncomingMessage, deadline: Deadline): Promise<Buffer> {
    const chunks: Buffer[] = [];
    let received = 0;
    const onAbort = () => response.destroy();
    deadline.signal.addEventListener('abort', onAbort, { once: true });
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        chunks.push(chunk);
        received += chunk.length;
        if (received >= ERROR_BODY_BYTES) break;
      }
    } catch {
      // A cut-short error body still has a status to report.
    } finally {
      deadline.signal.removeEventListener('abort', onAbort);
      if (!response.complete) response.destroy();
    }
    return Buffer.concat(chunks).subarray(0, ERROR_BODY_BYTES);
  }

  /**
   * The body as it arrives, within the size cap, until the caller's signal aborts. No timer of its own:
   * how long a stream may take depends on how fast its reader reads, so the caller (the router, which
   * times each chunk it awaits) decides.
   */
  private async *readBody(request: UpstreamRequest, response: IncomingMessage, onAbort: () => void): AsyncGenerator<Buffer> {
    const { signal } = request;
    let received = 0;
    try {
      for await (const chunk of response as AsyncIterable<Buffer>) {
        received += chunk.length;
        if (received > this.policy.max_response_bytes)
          throw transportError(request.provider, 'too_large', `${this.policy.max_response_bytes} bytes`);
        yield chunk;
      }
      if (!response.complete) throw transportError(request.provider, 'connection', 'response cut short');
    } catch (error) {
      if (error instanceof UpstreamError) throw error;
      if (signal.aborted) throw this.abortError(request);
      const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
      throw transportError(request.provider, 'connection', `response cut short (${code})`, error);
    } finally {
      signal.removeEventListener('abort', onAbort);
      if (!response.complete) response.destroy();
    }
  }

  private abortError(request: UpstreamRequest, deadline?: Deadline): UpstreamError {
    // The caller's signal usually carries the route target's own timeout: that is a timeout too.
    if (deadline?.timedOut || isTimeoutReason(request.signal.reason))
      return transportError(request.provider, 'timeout', `${request.timeoutMs} ms`);
    return new UpstreamError('provider_unavailable', `${request.provider}: call cancelled by the caller`, false, {
      provider: request.provider,
    });
  }
}
