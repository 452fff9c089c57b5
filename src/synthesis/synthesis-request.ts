import type { VoiceSettings } from '../common/voice-settings';
import type { CacheDirective } from './cache/audio-cache.types';

/** `ulaw` and `alaw` are headerless 8-bit G.711 (telephony), offered by the ElevenLabs face only. */
export type AudioFormat = 'wav' | 'pcm' | 'mp3' | 'opus' | 'aac' | 'flac' | 'ulaw' | 'alaw';

export type FaceName = 'sauti' | 'fish' | 'bifrost' | 'openai';

/**
 * The neutral request every API face produces. The face validates its dialect; from here on,
 * billing, routing, jobs and providers see only this.
 */
export interface SynthesisRequest {
  /** NFC-normalised text. */
  text: string;
  /** Unicode code points of `text`: what is billed and reported. */
  characters: number;
  /** A catalogue voice id (`sauti-swahili-v1`) or a `provider/model` route key (`openai/tts-1`). */
  route: string;
  /** The voice name for upstreams that take one separately from the model (Bifrost/OpenAI `voice`). */
  voice?: string;
  /** Extra `provider/model` targets tried after the route's own chain. */
  fallbacks: string[];
  settings: VoiceSettings;
  format: AudioFormat;
  /**
   * The exact rate and bitrate of the output, when the face's dialect names them (ElevenLabs'
   * `output_format=mp3_44100_128`); otherwise the route's rate and the encoder's default bitrate.
   */
  output?: { sampleRate: number; bitrateKbps?: number };
  language?: string;
  instructions?: string;
  withTimestamps?: boolean;
  /** The client's `Cache-Control: no-store`: the audio cache is neither read nor written for this request. */
  cache?: CacheDirective;
}

/**
 * Text as every face receives it: NFC-normalised, and its length counted as a person counts it
 * (Unicode code points), the one count used for limits, reports and billing.
 */
export function speechText(raw: string): { text: string; characters: number } {
  const text = raw.normalize('NFC');
  return { text, characters: countCharacters(text) };
}

export function countCharacters(text: string): number {
  return [...text].length;
}
