import http, { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** One scripted answer. Without a script the upstream answers `defaultResponse`. */
export interface ScriptedResponse {
  status?: number;
  headers?: Record<string, string>;
  /** An object is sent as JSON. */
  body?: string | Buffer | object;
  /** Wait before answering. */
  delayMs?: number;
  /** Never answer (the socket stays open until the client gives up or the fake closes). */
  hang?: boolean;
  /** Destroy the socket without answering (a connection reset). */
  destroy?: boolean;
  /** Answer with a redirect (307 unless `status` says otherwise) to this absolute or relative URL. */
  redirectTo?: string;
  /** Stream this many bytes of zeros in 64 KiB chunks, without a content-length. */
  streamBytes?: number;
  /**
   * Send `body` in this many pieces, `intervalMs` apart (the first at once), chunked unless the
   * headers give a length; `failAfter` destroys the connection after that many pieces instead.
   */
  pieces?: { count: number; intervalMs: number; failAfter?: number };
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** When the request arrived (performance.now()). */
  at: number;
  /** Set when the caller closed the connection before the answer was complete (it gave up on the call). */
  abandoned: boolean;
  /** When each piece of a `pieces` answer was written (performance.now()). */
  piecesSentAt: number[];
}

/**
 * A real HTTP server on loopback that each test scripts: a queue of answers, a count of calls and
 * every request received. Used by the routing tests and the routing bench; never a mock of fetch.
 */
export class ScriptableUpstream {
  readonly requests: RecordedRequest[] = [];
  defaultResponse: ScriptedResponse = { status: 200, body: '' };
  private readonly queue: ScriptedResponse[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: http.Server) {
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.handle(request, response));
  }

  static async start(): Promise<ScriptableUpstream> {
    const server = http.createServer({ keepAliveTimeout: 5000 });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return new ScriptableUpstream(server);
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  get calls(): number {
    return this.requests.length;
  }

  /** Answers for the next requests, in order. */
  enqueue(...responses: ScriptedResponse[]): this {
    this.queue.push(...responses);
    return this;
  }

  reset(): void {
    this.queue.length = 0;
    this.requests.length = 0;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const recorded: RecordedRequest = {
        method: request.method ?? '',
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks),
        at: performance.now(),
        abandoned: false,
        piecesSentAt: [],
      };
      this.requests.push(recorded);
      response.on('close', () => (recorded.abandoned = !response.writableFinished));
      const script = this.queue.shift() ?? this.defaultResponse;
      if (script.delayMs) setTimeout(() => this.answer(script, request, response, recorded), script.delayMs);
      else this.answer(script, request, response, recorded);
    });
  }

  private answer(script: ScriptedResponse, request: IncomingMessage, response: ServerResponse, recorded: RecordedRequest): void {
    if (script.hang) return;
    if (script.destroy) return void request.socket.destroy();
    if (script.redirectTo !== undefined) {
      response.writeHead(script.status ?? 307, { location: script.redirectTo, ...script.headers }).end();
      return;
    }
    if (script.streamBytes !== undefined) return this.stream(script, response);
    if (script.pieces) return this.inPieces(script, request, response, recorded);
    const isJson = script.body !== undefined && typeof script.body === 'object' && !Buffer.isBuffer(script.body);
    const body =
      script.body === undefined
        ? Buffer.alloc(0)
        : isJson
          ? Buffer.from(JSON.stringify(script.body))
          : Buffer.from(script.body as string | Buffer);
    response.writeHead(script.status ?? 200, {
      ...(isJson ? { 'content-type': 'application/json' } : {}),
      'content-length': String(body.length),
      ...script.headers,
    });
    response.end(body);
  }

  /** The body in pieces over time, as an upstream that synthesizes while it sends. */
  private inPieces(script: ScriptedResponse, request: IncomingMessage, response: ServerResponse, recorded: RecordedRequest): void {
    const body = Buffer.isBuffer(script.body) ? script.body : Buffer.from(String(script.body ?? ''));
    const { count, intervalMs, failAfter } = script.pieces!;
    const size = Math.ceil(body.length / count);
    response.writeHead(script.status ?? 200, { 'content-type': 'application/octet-stream', ...script.headers });
    let sent = 0;
    const next = (): void => {
      if (response.destroyed) return;
      if (failAfter !== undefined && sent >= failAfter) return void request.socket.destroy();
      response.write(body.subarray(sent * size, (sent + 1) * size));
      recorded.piecesSentAt.push(performance.now());
      sent++;
      if (sent < count) setTimeout(next, intervalMs);
      else response.end();
    };
    next();
  }

  private stream(script: ScriptedResponse, response: ServerResponse): void {
    response.writeHead(script.status ?? 200, { 'content-type': 'application/octet-stream', ...script.headers });
    let remaining = script.streamBytes ?? 0;
    const chunk = Buffer.alloc(64 * 1024);
    const pump = (): void => {
      while (remaining > 0) {
        const piece = chunk.subarray(0, Math.min(chunk.length, remaining));
        remaining -= piece.length;
        if (!response.write(piece)) return void response.once('drain', pump);
      }
      response.end();
    };
    response.on('close', () => (remaining = 0));
    pump();
  }
}

/** Float samples of a sine tone: what fakes answer and what codec tests encode. */
export function toneSamples(seconds: number, sampleRate: number, frequency = 440, amplitude = 0.5): Float32Array {
  const samples = new Float32Array(Math.round(seconds * sampleRate));
  for (let i = 0; i < samples.length; i++) samples[i] = amplitude * Math.sin((2 * Math.PI * frequency * i) / sampleRate);
  return samples;
}

/** A WAV file of a 440 Hz tone, what an OpenAI-compatible fake answers with `response_format: wav`. */
export function toneWav(seconds: number, sampleRate: number, frequency = 440): Buffer {
  const samples = toneSamples(seconds, sampleRate, frequency);
  const pcm = Buffer.alloc(samples.length * 2);
  samples.forEach((value, i) => pcm.writeInt16LE(Math.round(value * 0x7fff), i * 2));
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + pcm.length, 4);
  header.write('WAVEfmt ', 8, 'ascii');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(1, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28);
  header.writeUInt16LE(2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(pcm.length, 40);
  return Buffer.concat([header, pcm]);
}
