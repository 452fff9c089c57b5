import { join, resolve } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import type { EspeakSessionData, EspeakSessionOutput, EspeakSessionReply, EspeakSessionRequest } from './espeak-session.worker';

/** A session that has not answered within this bound is considered hung: its thread is terminated. */
const RUN_TIMEOUT_MS = 30_000;

/**
 * The worker file must be JavaScript: beside this file in the compiled service; under ts-jest the
 * compiled copy in dist/ (tests that reach eSpeak need `npm run build` first, as VITS's do).
 */
function sessionWorkerPath(): string {
  if (__filename.endsWith('.js')) return join(__dirname, 'espeak-session.worker.js');
  return resolve(__dirname, '..', '..', 'dist', 'src', 'espeak', 'espeak-session.worker.js');
}

export interface EspeakSessionResult {
  /** `ipa` sessions: per input line, the lines eSpeak printed for it (none when it had nothing to say). */
  ipa: string[][];
  /** `pcm16` sessions: per input line, its 16-bit little-endian mono samples. */
  pcm: Uint8Array[];
  /** `pcm16` sessions: eSpeak's output rate (0 before it has produced any audio). */
  sampleRate: number;
}

interface Running {
  id: number;
  resolve: (result: EspeakSessionResult) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

/**
 * One eSpeak NG kept running in its own thread with fixed arguments (voice, rate, output kind),
 * answering one request of lines at a time. See espeak-session.worker.ts for how lines reach it.
 * A failed or hung session is terminated and reports itself through `onEnded`; it is never reused.
 */
export class EspeakSession {
  private readonly worker: Worker;
  private readonly wake = new Int32Array(new SharedArrayBuffer(Int32Array.BYTES_PER_ELEMENT));
  private readonly channel = new MessageChannel();
  private running?: Running;
  private nextId = 1;
  private ended = false;
  lastUsedAt = Date.now();

  constructor(
    args: string[],
    private readonly output: EspeakSessionOutput,
    private readonly onEnded: (session: EspeakSession) => void,
  ) {
    const workerData: EspeakSessionData = { args, output, wake: this.wake.buffer as SharedArrayBuffer, requests: this.channel.port2 };
    this.worker = new Worker(sessionWorkerPath(), { workerData, transferList: [this.channel.port2] });
    this.worker.on('message', (reply: EspeakSessionReply) => this.receive(reply));
    this.worker.on('error', (error) => this.end(error));
    this.worker.on('exit', (code) => this.end(new Error(`the eSpeak thread exited (code ${code})`)));
    // A session waiting for lines must not keep the process alive. After the listeners: adding a
    // 'message' listener refs the thread's port again.
    this.worker.unref();
    this.channel.port1.unref();
  }

  get busy(): boolean {
    return this.running !== undefined;
  }

  /** eSpeak's output for each line; lines must not contain line breaks. One request at a time. */
  run(lines: string[]): Promise<EspeakSessionResult> {
    if (this.ended) return Promise.reject(new Error('this eSpeak session has ended'));
    if (this.running) return Promise.reject(new Error('this eSpeak session is busy'));
    this.lastUsedAt = Date.now();
    return new Promise((resolvePromise, reject) => {
      const id = this.nextId++;
      const timer = setTimeout(() => this.end(new Error(`eSpeak did not answer within ${RUN_TIMEOUT_MS / 1000} s`)), RUN_TIMEOUT_MS);
      this.running = { id, resolve: resolvePromise, reject, timer };
      this.channel.port1.postMessage({ id, lines } satisfies EspeakSessionRequest);
      Atomics.add(this.wake, 0, 1);
      Atomics.notify(this.wake, 0);
    });
  }

  close(): void {
    this.end(new Error('eSpeak session closed'));
  }

  private receive(reply: EspeakSessionReply): void {
    if (reply.kind === 'exited') {
      this.end(new Error(`espeak-ng: ${reply.errors.filter((line) => !/keepRuntimeAlive/.test(line)).join('; ') || 'exited'}`));
      return;
    }
    const running = this.running;
    if (!running || running.id !== reply.id) return;
    clearTimeout(running.timer);
    this.running = undefined;
    this.lastUsedAt = Date.now();
    running.resolve({ ipa: reply.ipa ?? [], pcm: reply.pcm ?? [], sampleRate: reply.sampleRate ?? 0 });
  }

  private end(reason: Error): void {
    if (this.ended) return;
    this.ended = true;
    if (this.running) {
      clearTimeout(this.running.timer);
      this.running.reject(reason);
      this.running = undefined;
    }
    this.channel.port1.close();
    void this.worker.terminate();
    this.onEnded(this);
  }
}
