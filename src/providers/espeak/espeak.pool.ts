import { join, resolve } from 'node:path';
import Piscina from 'piscina';
import type { SpeakTask } from './espeak.worker';

/**
 * The worker file must be JavaScript: beside this file in the compiled service; under ts-jest the
 * compiled copy in dist/ (tests that speak through eSpeak need `npm run build` first, as VITS's do).
 */
function espeakWorkerPath(): string {
  if (__filename.endsWith('.js')) return join(__dirname, 'espeak.worker.js');
  return resolve(__dirname, '..', '..', '..', 'dist', 'src', 'providers', 'espeak', 'espeak.worker.js');
}

/** eSpeak's threads: one kept warm (its compiled WebAssembly), a second under load. Started on first use. */
export class EspeakPool {
  private piscina?: Piscina;

  speak(task: SpeakTask, signal: AbortSignal): Promise<Uint8Array> {
    this.piscina ??= new Piscina({ filename: espeakWorkerPath(), minThreads: 1, maxThreads: 2, idleTimeout: 60_000 });
    return this.piscina.run(task, { signal }) as Promise<Uint8Array>;
  }

  async close(): Promise<void> {
    const piscina = this.piscina;
    this.piscina = undefined;
    await piscina?.destroy();
  }
}
