import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import Piscina from 'piscina';
import { AbortableQueue } from '../../common/abortable-queue';
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

/**
 * The process's inference threads, where ONNX runs happen (phonemization runs in eSpeak's own
 * sessions: src/espeak/espeak-sessions.ts).
 *
 * Tasks wait in this class's own queue and go to piscina only when a thread is free, so a task whose
 * caller has given up (its signal aborted) is dropped before it costs anything, while a running task
 * is left to finish: piscina's own `signal` would terminate the thread, and with it every model the
 * thread has loaded.
 */
export class InferencePool {
  private readonly piscina: Piscina;
  private readonly threads: number;
  private readonly waiting = new AbortableQueue<InferTask, Float32Array | Int16Array>();
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

  /** The task's audio: float samples, or 16-bit ones for `output: 'pcm16'`, followed by `silenceAfter` zeros. */
  infer(task: InferTask & { output: 'pcm16' }, signal?: AbortSignal): Promise<Int16Array>;
  infer(task: InferTask, signal?: AbortSignal): Promise<Float32Array>;
  infer(task: InferTask, signal?: AbortSignal): Promise<Float32Array | Int16Array> {
    const result = this.waiting.add(task, signal);
    this.dispatch();
    return result;
  }

  close(): Promise<void> {
    this.waiting.rejectAll(new Error('inference pool closed'));
    return this.piscina.close({ force: true });
  }

  private dispatch(): void {
    while (this.running < this.threads) {
      const call = this.waiting.take();
      if (!call) return;
      // A running task is left to finish (see above); its caller is released by the synthesizer.
      call.ignoreAbort();
      this.running++;
      void this.piscina
        .run(call.item)
        .then(call.resolve, call.reject)
        .finally(() => {
          this.running--;
          this.dispatch();
        });
    }
  }
}
