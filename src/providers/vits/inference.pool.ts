import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import Piscina from 'piscina';
import { phonemizeClauses } from '../../espeak/espeak-speech';
import type { InferenceWorkerData, InferTask } from './inference.worker';

/** Pool size 0 means "one thread per core, at most this many". */
export const MAX_DEFAULT_POOL_SIZE = 4;

/**
 * The worker file must be JavaScript. From the compiled service it sits beside this file; when this
 * file runs as TypeScript (ts-jest) the compiled copy under dist/ is used, so tests need
 * `npm run build` first (`npm run check` builds before running jest).
 */
export function inferenceWorkerPath(): string {
  if (__filename.endsWith('.js')) return join(__dirname, 'inference.worker.js');
  return resolve(__dirname, '..', '..', '..', 'dist', 'src', 'providers', 'vits', 'inference.worker.js');
}

export function resolvePoolSize(configured: number, cores = availableParallelism()): number {
  return configured > 0 ? configured : Math.max(1, Math.min(cores, MAX_DEFAULT_POOL_SIZE));
}

export interface InferencePoolOptions {
  poolSize: number;
  threadsPerWorker: number;
}

export interface PhonemizeTask {
  espeakVoice: string;
  clauses: string[];
}

interface WaitingTask {
  task: InferTask;
  signal?: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
}

/**
 * The process's inference threads, where ONNX runs happen; phonemization goes to eSpeak's sessions.
 *
 * Tasks wait in this class's own queue and go to piscina only when a thread is free, so a task whose
 * caller has given up (its signal aborted) is dropped before it costs anything, while a running task
 * is left to finish: piscina's own `signal` would terminate the thread, and with it every model the
 * thread has loaded.
 */
export class InferencePool {
  private readonly piscina: Piscina;
  private readonly threads: number;
  private readonly waiting: WaitingTask[] = [];
  private running = 0;

  constructor(options: InferencePoolOptions) {
    this.threads = resolvePoolSize(options.poolSize);
    const workerData: InferenceWorkerData = { intraOpThreads: options.threadsPerWorker };
    this.piscina = new Piscina({
      filename: inferenceWorkerPath(),
      minThreads: this.threads,
      maxThreads: this.threads,
      // Threads hold loaded models: never retire an idle one.
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData,
    });
  }

  get size(): number {
    return this.threads;
  }

  /** Tasks waiting for a free thread (a saturation signal for metrics and health). */
  get queued(): number {
    return this.waiting.length;
  }

  /** Tasks the threads have finished since start. */
  get completed(): number {
    return this.piscina.completed;
  }

  /** IPA per clause, from eSpeak's long-lived sessions (their own threads, not this pool's). */
  phonemize(task: PhonemizeTask, signal?: AbortSignal): Promise<string[]> {
    return phonemizeClauses(task.clauses, task.espeakVoice, signal);
  }

  infer(task: InferTask, signal?: AbortSignal): Promise<Float32Array> {
    return this.submit(task, signal) as Promise<Float32Array>;
  }

  close(): Promise<void> {
    for (const entry of this.waiting.splice(0)) entry.reject(new Error('inference pool closed'));
    return this.piscina.close({ force: true });
  }

  private submit(task: InferTask, signal?: AbortSignal): Promise<unknown> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const entry: WaitingTask = {
        task,
        signal,
        resolve,
        reject,
        onAbort: () => {
          const index = this.waiting.indexOf(entry);
          if (index >= 0) this.waiting.splice(index, 1);
          reject(signal?.reason);
        },
      };
      signal?.addEventListener('abort', entry.onAbort, { once: true });
      this.waiting.push(entry);
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.running < this.threads && this.waiting.length > 0) {
      const entry = this.waiting.shift() as WaitingTask;
      entry.signal?.removeEventListener('abort', entry.onAbort);
      this.running++;
      void this.piscina
        .run(entry.task)
        .then(entry.resolve, entry.reject)
        .finally(() => {
          this.running--;
          this.dispatch();
        });
    }
  }
}
