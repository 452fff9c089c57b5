import { onePiece } from '../../audio/audio-stream';
import { wholeFile } from '../../audio/whole-file';
import type { RenderedSpeech, SpeechStream, SpokenAudio } from '../speech.types';
import type { CachedAudio, CachedAudioMeta } from './audio-cache.types';

/** Who served, as an entry records it (the route target's model, or its voice for engines whose model is the voice). */
export interface ServedBy {
  provider: string;
  model?: string;
}

/** A finished stream's bytes as a cache entry: the file made whole (a WAV's sizes, a FLAC's sample count) and described. */
export function cacheEntryOf(
  audio: Pick<SpeechStream, 'format' | 'contentType' | 'sampleRate'>,
  bytes: Buffer,
  samples: number | undefined,
  served: ServedBy,
): CachedAudio {
  const file = wholeFile(audio.format, bytes, audio.sampleRate, samples);
  return { bytes: file.bytes, meta: describe(audio, file.durationSeconds, samples, served) };
}

/** A whole rendered file (a job's) as a cache entry. */
export function cacheEntryOfFile(file: SpokenAudio, served: ServedBy): CachedAudio {
  return {
    bytes: file.bytes,
    meta: { ...describe(file, file.durationSeconds, undefined, served), ...(file.segments ? { segments: file.segments } : {}) },
  };
}

function describe(
  audio: Pick<SpokenAudio, 'format' | 'contentType' | 'sampleRate'>,
  durationSeconds: number,
  samples: number | undefined,
  served: ServedBy,
): CachedAudioMeta {
  return {
    format: audio.format,
    contentType: audio.contentType,
    sampleRate: audio.sampleRate,
    durationSeconds,
    ...(samples !== undefined ? { samples } : {}),
    provider: served.provider,
    ...(served.model ? { model: served.model } : {}),
  };
}

/** A hit as a stream: the stored file in one chunk, its length known up front, nothing left to bill. */
export function streamOfHit(cached: CachedAudio, served: Pick<SpeechStream, 'characters' | 'credits' | 'ignoredFields'>): SpeechStream {
  const { bytes, meta } = cached;
  return {
    provider: meta.provider,
    ...(meta.model ? { model: meta.model } : {}),
    attempts: [],
    ...served,
    cache: 'hit',
    format: meta.format,
    contentType: meta.contentType,
    sampleRate: meta.sampleRate,
    passedThrough: false,
    byteLength: bytes.length,
    chunks: onePiece(bytes),
    samplesWritten: () => meta.samples,
    markDelivered: () => undefined,
    ...(cached.base64 ? { base64: cached.base64 } : {}),
  };
}

/** A hit as a job's file. */
export function renderedOfHit(cached: CachedAudio, characters: number): RenderedSpeech {
  const { bytes, meta } = cached;
  return {
    provider: meta.provider,
    ...(meta.model ? { model: meta.model } : {}),
    attempts: [],
    characters,
    cache: 'hit',
    bytes,
    format: meta.format,
    contentType: meta.contentType,
    sampleRate: meta.sampleRate,
    durationSeconds: meta.durationSeconds,
    ...(meta.segments ? { segments: meta.segments } : {}),
  };
}
