import { Injectable, OnModuleDestroy } from '@nestjs/common';
import { join, resolve } from 'node:path';
import Piscina from 'piscina';
import { resample } from './resample';
import type { ResampleTask } from './resample.worker';

/** Below this many input samples (~0.5 s of speech) the thread hop costs more than it saves. */
const INLINE_LIMIT = 12_000;

/** The worker must be JavaScript: beside this file when compiled; the dist/ copy under ts-jest. */
function workerPath(): string {
  if (__filename.endsWith('.js')) return join(__dirname, 'resample.worker.js');
  return resolve(__dirname, '..', '..', 'dist', 'src', 'audio', 'resample.worker.js');
}

/**
 * Sample-rate conversion off the event loop: about 5 ms of CPU per second of audio, so a long
 * answer would otherwise stall every other request of the api for most of a second.
 */
@Injectable()
export class Resampler implements OnModuleDestroy {
  private pool?: Piscina;

  async resample(samples: Float32Array, fromRate: number, toRate: number): Promise<Float32Array> {
    if (fromRate === toRate) return samples;
    if (samples.length < INLINE_LIMIT) return resample(samples, fromRate, toRate);
    this.pool ??= new Piscina({ filename: workerPath(), minThreads: 0, maxThreads: 2, idleTimeout: 30_000 });
    // A copy is moved, never the caller's buffer: providers may keep and reuse theirs.
    const input = samples.slice();
    const task: ResampleTask = { samples: input, fromRate, toRate };
    return (await this.pool.run(task, { transferList: [input.buffer as ArrayBuffer] })) as Float32Array;
  }

  async onModuleDestroy(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.destroy();
  }
}
