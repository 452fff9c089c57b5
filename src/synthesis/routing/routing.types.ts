import type { AudioStream } from '../../audio/audio-stream';
import type { AttemptRecord } from '../speech.types';

/** A route's audio, from the target that served it. */
export interface RoutedStream<T extends AudioStream = AudioStream> {
  /** The provider's audio as the caller converted it; its first bytes exist. */
  audio: T;
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

/** The target of `route` that `served` names (a served stream, a cache entry's target). */
export function targetIn(route: ResolvedRoute, served: Pick<RouteTarget, 'provider' | 'voice' | 'model'>): RouteTarget | undefined {
  return route.targets.find(
    (target) => target.provider === served.provider && target.voice === served.voice && target.model === served.model,
  );
}

export interface ResolvedRoute {
  /** The catalogue voice id or `provider/model` key the request named. */
  key: string;
  sampleRate: number;
  language?: string;
  /** The audio cache on this route (routes.yaml `cache`): per tenant, shared by all tenants, or off. */
  cache: 'tenant' | 'shared' | 'off';
  /** The route's chain, then the request's fallbacks, without duplicates. */
  targets: RouteTarget[];
}

/** Names of the request fields each face uses, so errors point at the client's own field. */
export interface RouteFieldNames {
  route?: string;
  fallbacks?: string;
}
