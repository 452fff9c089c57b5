import type { InjectionToken } from '@nestjs/common';
import type { AudioStream, OutputSpec } from '../audio/audio-stream';
import type { VoiceSettings } from '../common/voice-settings';

/** What a provider is asked to say: one route target's view of a synthesis request. */
export interface ProviderRequest {
  /** NFC-normalised text. */
  text: string;
  /** The provider's own voice id, from the route target (e.g. `sauti-swahili-v1` for vits, `sw` for espeak, `alloy` upstream). */
  voice: string;
  /** The provider's own model id, for upstreams that separate model and voice (e.g. `tts-1`). */
  model?: string;
  settings: VoiceSettings;
  /** Language hint (ISO 639-1, e.g. `sw`) for providers that take one. */
  language?: string;
  /** Free-text style instructions, for upstreams that accept them. */
  instructions?: string;
  /**
   * What the client will receive. A provider that can produce exactly this itself asks for it, so its
   * bytes pass through untouched; otherwise it answers in its own format and the pipeline converts.
   */
  output: OutputSpec;
}

export interface ProviderCallOptions {
  /** Aborted when the caller gives up or the target's timeout passes; providers must stop work promptly. */
  signal: AbortSignal;
  /** The whole call's budget; HTTP providers also derive their connect timeout from it. */
  timeoutMs: number;
  requestId: string;
}

/** Which request fields a provider honours: the faces report the others to the client (`x-ignored-fields`). */
export interface FieldSupport {
  /** A separate `voice` picks the upstream's voice (for the other kinds the model names the voice). */
  voice: boolean;
  /** Speeds honoured as given; outside this range the provider clamps. */
  speed: readonly [number, number];
  instructions: boolean;
  language: boolean;
}

export interface ProviderCapabilities {
  /** Voice ids this provider can serve right now; `['*']` for upstreams that accept any voice name. */
  voices: string[];
  /** Longest text accepted in one call. */
  maxTextLength: number;
  fields: FieldSupport;
}

export type ProviderHealthStatus = 'up' | 'degraded' | 'down';

export interface ProviderHealth {
  status: ProviderHealthStatus;
  detail?: string;
  /** Per-voice availability for local engines (missing model files, load errors). */
  voices?: Record<string, { available: boolean; reason?: string; testVoice?: boolean }>;
}

/**
 * What a provider's audio for one request depends on, for the audio cache's key (docs/cache.md): the
 * engine itself and the request as the engine will really use it (after its defaults, clamping and
 * text normalisation). Fields the engine ignores are left out, so requests that differ only in them
 * share an entry.
 */
export interface AudioIdentity {
  /** The engine and its exact model: `vits:<SHA-256 of the voice's files>`, `espeak-ng:1.0.2`, `openai-compatible:<base URL>`. */
  engine: string;
  /** Everything else that changes the audio, as plain JSON. */
  input: Record<string, unknown>;
}

/** One TTS backend: a local engine or an HTTP upstream. */
export interface TtsProvider {
  /** Unique id used in routes and in `provider/model` strings (`vits`, `espeak`, `openai`, …). */
  readonly id: string;
  readonly kind: 'vits' | 'espeak' | 'openai-compatible' | 'elevenlabs-compatible' | 'sauti';
  capabilities(): ProviderCapabilities;
  /** Whether `voice` (and `model`, when given) can be served by this provider at all. */
  supports(voice: string, model?: string): boolean;
  /**
   * Starts speaking and returns the audio as a stream: HTTP upstreams resolve once the answer's first
   * bytes are in (they say what the answer really is) and then yield the body as it arrives; local
   * engines yield sentence by sentence. Failing before the stream starts, or while it flows, throws
   * TtsError (`provider_timeout`, `provider_rejected`, `provider_unavailable`, `invalid_request`, …).
   * Aborting `options.signal` stops the work, also after the stream has started.
   */
  synthesize(request: ProviderRequest, options: ProviderCallOptions): Promise<AudioStream>;
  checkHealth(): Promise<ProviderHealth>;
  /** What this provider's audio for `request` depends on; undefined when it cannot say yet (its audio is then not cached). */
  audioIdentity(request: ProviderRequest): AudioIdentity | undefined;
}

/** All configured providers, in config order. */
export const TTS_PROVIDERS: InjectionToken = Symbol('TTS_PROVIDERS');
