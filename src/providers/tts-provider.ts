import type { InjectionToken } from '@nestjs/common';

/** VITS knobs, in the Sauti face's terms. Engines without them map what they can (speed) and ignore the rest. */
export interface VoiceSettings {
  /** 1.0 is the voice's natural pace; VITS uses length_scale = 1 / speakingRate. */
  speakingRate: number;
  /** VITS noise_scale: variation in the voice. */
  noiseScale: number;
  /** VITS noise_w: variation in phoneme durations. */
  noiseScaleDuration: number;
}

export const DEFAULT_VOICE_SETTINGS: Readonly<VoiceSettings> = Object.freeze({
  speakingRate: 1.0,
  noiseScale: 0.667,
  noiseScaleDuration: 0.8,
});

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
}

export interface ProviderCallOptions {
  /** Aborted when the caller gives up or the target's timeout passes; providers must stop work promptly. */
  signal: AbortSignal;
  /** The whole call's budget; HTTP providers also derive their connect timeout from it. */
  timeoutMs: number;
  requestId: string;
}

/** A span of the text and where its audio lies, in samples of `SynthesizedAudio.sampleRate`. */
export interface AudioSegment {
  text: string;
  startSample: number;
  endSample: number;
}

export interface SynthesizedAudio {
  /** Mono PCM in [-1, 1]. */
  samples: Float32Array;
  sampleRate: number;
  /** Sentence or clause segments, when the provider knows them (used for timestamps). */
  segments?: AudioSegment[];
}

export interface ProviderCapabilities {
  /** Voice ids this provider can serve right now; `['*']` for upstreams that accept any voice name. */
  voices: string[];
  /** Longest text accepted in one call. */
  maxTextLength: number;
}

export type ProviderHealthStatus = 'up' | 'degraded' | 'down';

export interface ProviderHealth {
  status: ProviderHealthStatus;
  detail?: string;
  /** Per-voice availability for local engines (missing model files, load errors). */
  voices?: Record<string, { available: boolean; reason?: string; testVoice?: boolean }>;
}

/** One TTS backend: a local engine or an HTTP upstream. */
export interface TtsProvider {
  /** Unique id used in routes and in `provider/model` strings (`vits`, `espeak`, `openai`, …). */
  readonly id: string;
  readonly kind: 'vits' | 'espeak' | 'openai-compatible' | 'elevenlabs-compatible' | 'sauti';
  capabilities(): ProviderCapabilities;
  /** Whether `voice` (and `model`, when given) can be served by this provider at all. */
  supports(voice: string, model?: string): boolean;
  /** Throws TtsError (`provider_timeout`, `provider_rejected`, `provider_unavailable`, `invalid_request`, …) on failure. */
  synthesize(request: ProviderRequest, options: ProviderCallOptions): Promise<SynthesizedAudio>;
  checkHealth(): Promise<ProviderHealth>;
}

/** All configured providers, in config order. */
export const TTS_PROVIDERS: InjectionToken = Symbol('TTS_PROVIDERS');
