import http, { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Webhook } from 'standardwebhooks';

/** One scripted answer; without a script the receiver answers `defaultStatus`. */
export interface ReceiverAnswer {
  status?: number;
  /** Never answer (until the sender gives up or the receiver closes). */
  hang?: boolean;
  /** Answer 302 with this Location. */
  redirectTo?: string;
  body?: string;
}

export interface ReceivedWebhook {
  id: string;
  timestamp: string;
  signature: string;
  body: string;
  /** The parsed JSON body. */
  payload: { type: string; timestamp: string; data: Record<string, unknown> };
  /** Indexes of `secrets` that verified this delivery with the standardwebhooks package. */
  verifiedWith: number[];
  /** Date.now() when the request had been read. */
  receivedAt: number;
  status: number;
}

/**
 * A tenant's receiver: a real HTTP server on loopback that verifies every delivery with the
 * `standardwebhooks` package (unchanged, as a tenant would), records it and answers as scripted.
 * It can go down and come back on the same port.
 */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  secrets: string[] = [];
  defaultStatus = 204;
  private readonly answers: ReceiverAnswer[] = [];
  private readonly sockets = new Set<Socket>();
  private server?: http.Server;
  private port = 0;

  static async start(): Promise<WebhookReceiver> {
    const receiver = new WebhookReceiver();
    await receiver.listen();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/tts`;
  }

  answer(...answers: ReceiverAnswer[]): this {
    this.answers.push(...answers);
    return this;
  }

  /** Deliveries whose body names this job. */
  forJob(jobId: string): ReceivedWebhook[] {
    return this.received.filter((delivery) => delivery.payload.data.job_id === jobId);
  }

  async waitFor(predicate: (received: ReceivedWebhook[]) => boolean, timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.received)) {
      if (Date.now() > deadline)
        throw new Error(
          `receiver: condition not met in ${timeoutMs} ms; got ${JSON.stringify(this.received.map((r) => [r.id, r.payload.type, r.status]))}`,
        );
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }

  /** Stops listening (the port refuses connections) until `listen` again. */
  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Listens on a new port, or on the same one after `stop`. */
  async listen(): Promise<void> {
    const server = http.createServer((request, response) => this.handle(request, response));
    server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  private handle(request: IncomingMessage, response: ServerResponse): void {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const headers = {
        'webhook-id': String(request.headers['webhook-id'] ?? ''),
        'webhook-timestamp': String(request.headers['webhook-timestamp'] ?? ''),
        'webhook-signature': String(request.headers['webhook-signature'] ?? ''),
      };
      const verifiedWith = this.secrets.flatMap((secret, index) => {
        try {
          new Webhook(secret).verify(body, headers);
          return [index];
        } catch {
          return [];
        }
      });
      const answer = this.answers.shift() ?? {};
      const status = answer.redirectTo ? 302 : (answer.status ?? this.defaultStatus);
      this.received.push({
        id: headers['webhook-id'],
        timestamp: headers['webhook-timestamp'],
        signature: headers['webhook-signature'],
        body,
        payload: JSON.parse(body),
        verifiedWith,
        receivedAt: Date.now(),
        status: answer.hang ? 0 : status,
      });
      if (answer.hang) return;
      response.writeHead(status, answer.redirectTo ? { location: answer.redirectTo } : {});
      response.end(answer.body ?? '');
    });
  }
}
