import type { AudioStream } from '../../src/audio/audio-stream';
import { pcm16ToFloat } from '../../src/audio/wav';

/** A local engine's raw PCM stream read whole: every sample, and the chunks it came in (one per sentence or clause). */
export interface ProviderSamples {
  samples: Float32Array;
  sampleRate: number;
  chunks: Float32Array[];
}

export async function providerSamples(started: Promise<AudioStream>): Promise<ProviderSamples> {
  const audio = await started;
  if (audio.descriptor.format !== 'pcm') throw new Error(`expected raw PCM, got ${audio.descriptor.format}`);
  const chunks: Float32Array[] = [];
  for await (const chunk of audio.chunks) chunks.push(pcm16ToFloat(chunk));
  const samples = new Float32Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let at = 0;
  for (const chunk of chunks) {
    samples.set(chunk, at);
    at += chunk.length;
  }
  return { samples, sampleRate: audio.descriptor.sampleRate, chunks };
}
