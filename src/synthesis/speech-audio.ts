import type { ClientAudio } from '../audio/audio-pipeline';
import type { SpeechStream } from './speech.types';

/** What a response says about a client's audio stream. */
export function describe(
  audio: ClientAudio,
): Pick<SpeechStream, 'format' | 'contentType' | 'sampleRate' | 'passedThrough' | 'byteLength' | 'sizesStated'> {
  return {
    format: audio.descriptor.format as SpeechStream['format'],
    contentType: audio.contentType,
    sampleRate: audio.descriptor.sampleRate,
    passedThrough: audio.passedThrough,
    ...(audio.passedThrough && audio.descriptor.sizesStated !== undefined ? { sizesStated: audio.descriptor.sizesStated } : {}),
    ...(audio.byteLength !== undefined ? { byteLength: audio.byteLength } : {}),
  };
}

/** A controller of our own that also aborts when the caller's signal does. */
export function linkedController(signal: AbortSignal | undefined): AbortController {
  const controller = new AbortController();
  if (signal?.aborted) controller.abort(signal.reason);
  else signal?.addEventListener('abort', () => controller.abort(signal.reason), { once: true });
  return controller;
}

export function concatSamples(parts: Float32Array[]): Float32Array {
  if (parts.length === 1) return parts[0];
  const joined = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    joined.set(part, at);
    at += part.length;
  }
  return joined;
}
