import type { TtsProvider } from '../../providers/tts-provider';
import type { SynthesisRequest } from '../../synthesis/synthesis-request';

/** The OpenAI/Bifrost speech fields whose effect depends on the provider that serves. */
export type ProviderDependentField = 'voice' | 'speed' | 'instructions' | 'language_code';

interface KindSupport {
  /** The `voice` field picks the upstream's voice (for the others the model names the voice). */
  voice: boolean;
  /** Speeds this kind honours as given; outside it the provider clamps. */
  speed: [number, number];
  instructions: boolean;
  language: boolean;
}

/**
 * What each provider kind does with the request (see the providers' request builders). A `Record`
 * over the kinds, so a new kind fails to compile until someone says what it honours.
 */
const SUPPORT: Record<TtsProvider['kind'], KindSupport> = {
  vits: { voice: false, speed: [0.25, 4], instructions: false, language: false },
  espeak: { voice: false, speed: [0.25, 4], instructions: false, language: false },
  sauti: { voice: false, speed: [0.25, 4], instructions: false, language: false },
  'openai-compatible': { voice: true, speed: [0.25, 4], instructions: true, language: false },
  'elevenlabs-compatible': { voice: true, speed: [0.7, 1.2], instructions: false, language: true },
};

/** What the client set, in the face's field names, for the fields a provider may not honour. */
export interface SpeechFieldsSet {
  voice?: string;
  speed?: number;
  instructions?: string;
  language_code?: string;
}

/**
 * The fields the client set that `kind` does not honour as given: reported to the client (header,
 * job result) so nothing is silently wrong. speed 1.0 (the default) is honoured by every kind.
 */
export function fieldsIgnoredBy(kind: TtsProvider['kind'] | undefined, set: SpeechFieldsSet): ProviderDependentField[] {
  if (!kind) return [];
  const support = SUPPORT[kind];
  const ignored: ProviderDependentField[] = [];
  if (set.voice !== undefined && !support.voice) ignored.push('voice');
  if (set.speed !== undefined && (set.speed < support.speed[0] || set.speed > support.speed[1])) ignored.push('speed');
  if (set.instructions !== undefined && !support.instructions) ignored.push('instructions');
  if (set.language_code !== undefined && !support.language) ignored.push('language_code');
  return ignored;
}

/** The same fields read back from a neutral request (what a job keeps). */
export function speechFieldsOf(request: SynthesisRequest): SpeechFieldsSet {
  return {
    ...(request.voice !== undefined ? { voice: request.voice } : {}),
    ...(request.settings.speakingRate !== 1 ? { speed: request.settings.speakingRate } : {}),
    ...(request.instructions !== undefined ? { instructions: request.instructions } : {}),
    ...(request.language !== undefined ? { language_code: request.language } : {}),
  };
}
