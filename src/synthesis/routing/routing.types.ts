import type { AudioStream } from '../../audio/audio-stream';
import type { AttemptRecord } from '../speech.types';

/** A route's audio, from the target that served it. */
export interface RoutedStream {
  /** The provider's own audio; its first bytes have arrived. */
  audio: AudioStream;
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

/** Names of the request fields each face uses, so errors point at the client's own field. */
export interface RouteFieldNames {
  route?: string;
  fallbacks?: string;
}
