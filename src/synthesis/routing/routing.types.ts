import type { TtsErrorCode } from '../../common/tts-error';
import type { SynthesizedAudio } from '../../providers/tts-provider';

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

export interface RoutedAudio {
  /** Resampled to the route's sample rate. */
  audio: SynthesizedAudio;
  /** Who served it (for `x-tts-provider`). */
  provider: string;
  voice: string;
  model?: string;
  attempts: AttemptRecord[];
}

export interface RouteTarget {
  provider: string;
  voice: string;
  model?: string;
  timeoutMs: number;
}

export interface ResolvedRoute {
  /** The catalogue voice id or `provider/model` key the request named. */
  key: string;
  sampleRate: number;
  language?: string;
  /** The route's chain, then the request's fallbacks, without duplicates. */
  targets: RouteTarget[];
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

/** Names of the request fields each face uses, so errors point at the client's own field. */
export interface RouteFieldNames {
  route?: string;
  fallbacks?: string;
}
