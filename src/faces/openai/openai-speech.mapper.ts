import { TtsError } from '../../common/tts-error';
import { DEFAULT_VOICE_SETTINGS } from '../../common/voice-settings';
import { speechText, SynthesisRequest } from '../../synthesis/synthesis-request';
import type { OpenAiSpeechRequestDto } from './openai-speech.dto';

/** The face's names for the neutral request's fields, so routing errors point at the client's own. */
export const OPENAI_FIELD_NAMES = { route: 'model', fallbacks: 'fallbacks', format: 'response_format' };

/** What the OpenAI and Bifrost bodies share; Bifrost adds fallbacks, language and timestamps. */
export type OpenAiSpeechFields = Pick<OpenAiSpeechRequestDto, 'model' | 'input' | 'voice' | 'speed' | 'response_format' | 'instructions'>;

/** The neutral request for an OpenAI speech body; mp3 unless asked otherwise, as OpenAI. */
export function toSynthesisRequest(dto: OpenAiSpeechFields): SynthesisRequest {
  const { text, characters } = speechText(dto.input);
  if (text.trim() === '') throw new TtsError('invalid_request', "Field 'input' must contain text to speak", { field: 'input' });
  return {
    text,
    characters,
    route: dto.model,
    voice: dto.voice,
    fallbacks: [],
    settings: { ...DEFAULT_VOICE_SETTINGS, speakingRate: dto.speed ?? 1 },
    format: dto.response_format ?? 'mp3',
    ...(dto.instructions !== undefined ? { instructions: dto.instructions } : {}),
  };
}
