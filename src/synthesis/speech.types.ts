import type { AudioFormat } from '../audio/audio-format';
import type { TtsErrorCode } from '../common/tts-error';
import type { CacheStatus } from './cache/audio-cache.types';
import type { TimedPiece } from './timed-audio';

/** One route target's part in a synthesis: its outcome after any retries. */
export interface AttemptRecord {
  provider: string;
  voice: string;
  model?: string;
  outcome: 'ok' | TtsErrorCode;
  durationMs: number;
  message?: string;
  /** Retries on this target after its first call. */
  retries: number;
}

/** What `GET /v1/voices` renders for one catalogue voice. */
export interface CatalogVoice {
  id: string;
  name: string;
  language: string;
  /** Rate of every answer on this voice. */
  sampleRate: number;
  /** Kind of the first target's provider (`vits`, `espeak`, `openai-compatible`, …). */
  engine: string;
  /** The first target can serve now. */
  available: boolean;
  /** The first target cannot serve now but a later one can. */
  servedByFallback: boolean;
  fallbackProvider?: string;
  testVoice: boolean;
  /** The first target's own rate, when answers are resampled from it. */
  modelSampleRate?: number;
}

/** A span of the text, in seconds from the start of the audio. */
export interface TimedSegment {
  text: string;
  startSeconds: number;
  endSeconds: number;
}

/** Who served a synthesis and what it cost. */
export interface Served {
  provider: string;
  model?: string;
  attempts: AttemptRecord[];
  characters: number;
  credits: number;
  /** Request fields (the OpenAI/Bifrost names) the serving provider did not honour as given. */
  ignoredFields: Array<'voice' | 'speed' | 'instructions' | 'language_code'>;
  /** Whether the audio came from the audio cache (`x-cache`). */
  cache: CacheStatus;
}

/** Audio on its way to a client, billed by the one rule (docs/architecture.md, "Billing"). */
export interface SpeechStream extends Served {
  format: AudioFormat;
  contentType: string;
  sampleRate: number;
  /** The provider's own bytes, untouched. */
  passedThrough: boolean;
  /** Bytes in all, when known before the first (a Content-Length can be sent). */
  byteLength?: number;
  /** A passed-through WAV: whether its header states its size (false: the streaming placeholders). */
  sizesStated?: boolean;
  /** The audio as it is produced. Iterate it to the end; stopping early cancels the synthesis. */
  chunks: AsyncIterable<Buffer>;
  /** Samples encoded so far; undefined when the provider's bytes pass through. */
  samplesWritten(): number | undefined;
  /**
   * Says that audio has reached the client (call it after writing the first chunk): from then on the
   * request is charged whatever ends the stream. Without it, only a stream read to its end is charged.
   */
  markDelivered(): void;
  /** A cache hit's whole file as base64 text, made once and kept with the process's copy of the entry. */
  base64?: () => Buffer;
}

/** Speech with timestamps as it is produced: each piece of audio with the sentence spans it completes. */
export interface TimedSpeechStream extends Omit<SpeechStream, 'chunks' | 'samplesWritten' | 'base64'> {
  pieces: AsyncIterable<TimedPiece>;
}

/** A whole audio file. */
export interface SpokenAudio {
  bytes: Buffer;
  format: AudioFormat;
  contentType: string;
  sampleRate: number;
  /** How long it plays. */
  durationSeconds: number;
  /** Sentence spans, when the request asked for timestamps. */
  segments?: TimedSegment[]; /** The file as base64 text, when a copy of it is kept (a cache hit); faces use `base64Of()`. */
  base64?: () => Buffer;
}

/** A billed whole file (Sauti's JSON answer, a WAV file sent with exact sizes). */
export type BilledSpeech = SpokenAudio & Served;

/** A whole file for a job, which is billed by its own id. */
export type RenderedSpeech = SpokenAudio & Omit<Served, 'credits' | 'ignoredFields'>;
