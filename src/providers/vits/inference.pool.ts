import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import Piscina from 'piscina';
import type { InferenceTask, InferenceWorkerData, InferTask, PhonemizeTask } from './inference.worker';

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

/** The process's inference threads: phonemization and ONNX runs both happen there. */
export class InferencePool {
  private readonly piscina: Piscina;

  constructor(options: InferencePoolOptions) {
    const size = resolvePoolSize(options.poolSize);
    const workerData: InferenceWorkerData = { intraOpThreads: options.threadsPerWorker };
    this.piscina = new Piscina({
      filename: inferenceWorkerPath(),
      minThreads: size,
      maxThreads: size,
      // Threads hold loaded models: never retire an idle one.
      idleTimeout: Number.POSITIVE_INFINITY,
      workerData,
    });
  }

  get size(): number {
    return this.piscina.options.maxThreads;
  }

  /** Tasks waiting for a free thread (a saturation signal for metrics and health). */
  get queued(): number {
    return this.piscina.queueSize;
  }

  phonemize(task: Omit<PhonemizeTask, 'kind'>): Promise<string[]> {
    return this.piscina.run({ kind: 'phonemize', ...task } satisfies InferenceTask) as Promise<string[]>;
  }

  infer(task: Omit<InferTask, 'kind'>): Promise<Float32Array> {
    return this.piscina.run({ kind: 'infer', ...task } satisfies InferenceTask) as Promise<Float32Array>;
  }

  close(): Promise<void> {
    return this.piscina.close({ force: true });
  }
}
