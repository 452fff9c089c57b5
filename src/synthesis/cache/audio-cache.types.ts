import type { AudioFormat } from '../../audio/audio-format';
import type { TimedSegment } from '../speech.types';

/** Whether an answer came from the audio cache (`x-cache`): `bypass` when the cache was not used at all. */
export type CacheStatus = 'hit' | 'miss' | 'bypass';

/** What a request asked of the cache (its `Cache-Control`): `no-store` bypasses it. */
export type CacheDirective = 'no-store';

/** What an entry says about its audio, beside the bytes. */
export interface CachedAudioMeta {
  format: AudioFormat;
  contentType: string;
  sampleRate: number;
  durationSeconds: number;
  /** Samples in the file, when the encoder counted them. */
  samples?: number;
  /** Who synthesized it. */
  provider: string;
  model?: string;
  segments?: TimedSegment[];
}

/** A whole file from the cache. */
export interface CachedAudio {
  bytes: Buffer;
  meta: CachedAudioMeta;
  /** The file as base64 text, made once and kept with the process's copy of the entry. */
  base64?: () => Buffer;
}
