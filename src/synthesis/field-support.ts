import type { FieldSupport } from '../providers/tts-provider';
import type { SynthesisRequest } from './synthesis-request';

/** The speech fields whose effect depends on the provider that serves, in the OpenAI/Bifrost faces' names. */
export type ProviderDependentField = 'voice' | 'speed' | 'instructions' | 'language_code';

/** What the client set, for the fields a provider may not honour. */
export interface SpeechFieldsSet {
  voice?: string;
  speed?: number;
  instructions?: string;
  language_code?: string;
}

/**
 * The fields the client set that a provider with `support` does not honour as given: reported to the
 * client (header, job result) so nothing is silently wrong. speed 1.0 (the default) is honoured by all.
 */
export function fieldsIgnoredBy(support: FieldSupport | undefined, set: SpeechFieldsSet): ProviderDependentField[] {
  if (!support) return [];
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
