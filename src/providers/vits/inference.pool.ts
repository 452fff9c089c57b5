import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import Piscina from 'piscina';
import type { InferenceTask, InferenceWorkerData, InferTask, PhonemizeTask } from './inference.worker';

/** Upper bound on clauses merged into one eSpeak run, so a merged run stays short. */
const MAX_CLAUSES_PER_ESPEAK_RUN = 200;

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

interface WaitingTask {
  task: InferenceTask;
  signal?: AbortSignal;
  resolve: (value: unknown) => void;
  reject: (reason: unknown) => void;
  onAbort: () => void;
}

/**
 * The process's inference threads: phonemization and ONNX runs both happen there.
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

  phonemize(task: Omit<PhonemizeTask, 'kind'>, signal?: AbortSignal): Promise<string[]> {
    return this.submit({ kind: 'phonemize', ...task }, signal) as Promise<string[]>;
  }

  infer(task: Omit<InferTask, 'kind'>, signal?: AbortSignal): Promise<Float32Array> {
    return this.submit({ kind: 'infer', ...task }, signal) as Promise<Float32Array>;
  }

  close(): Promise<void> {
    for (const entry of this.waiting.splice(0)) entry.reject(new Error('inference pool closed'));
    return this.piscina.close({ force: true });
  }

  private submit(task: InferenceTask, signal?: AbortSignal): Promise<unknown> {
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
      const batch = this.takeNext();
      for (const entry of batch) entry.signal?.removeEventListener('abort', entry.onAbort);
      this.running++;
      const settled = batch.length === 1 ? this.piscina.run(batch[0].task).then(batch[0].resolve, batch[0].reject) : this.runPhonemizeBatch(batch);
      void settled.finally(() => {
        this.running--;
        this.dispatch();
      });
    }
  }

  /**
   * The next task, and with a phonemization every other waiting phonemization for the same eSpeak
   * voice: one eSpeak run costs ~100 ms however few clauses it reads, so under load requests share it.
   */
  private takeNext(): WaitingTask[] {
    const first = this.waiting.shift() as WaitingTask;
    if (first.task.kind !== 'phonemize') return [first];
    const voice = first.task.espeakVoice;
    const batch = [first];
    let clauses = first.task.clauses.length;
    for (let index = 0; index < this.waiting.length && clauses < MAX_CLAUSES_PER_ESPEAK_RUN; ) {
      const task = this.waiting[index].task;
      if (task.kind === 'phonemize' && task.espeakVoice === voice && clauses + task.clauses.length <= MAX_CLAUSES_PER_ESPEAK_RUN) {
        clauses += task.clauses.length;
        batch.push(...this.waiting.splice(index, 1));
      } else {
        index++;
      }
    }
    return batch;
  }

  private async runPhonemizeBatch(batch: WaitingTask[]): Promise<void> {
    const tasks = batch.map((entry) => entry.task as PhonemizeTask);
    try {
      const merged = (await this.piscina.run({ kind: 'phonemize', espeakVoice: tasks[0].espeakVoice, clauses: tasks.flatMap((t) => t.clauses) } satisfies InferenceTask)) as string[];
      let next = 0;
      batch.forEach((entry, index) => {
        entry.resolve(merged.slice(next, next + tasks[index].clauses.length));
        next += tasks[index].clauses.length;
      });
    } catch (error) {
      for (const entry of batch) entry.reject(error);
    }
  }
}
