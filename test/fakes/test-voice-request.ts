import { DEFAULT_VOICE_SETTINGS } from '../../src/common/voice-settings';
import type { SynthesisRequest } from '../../src/synthesis/synthesis-request';

/** A neutral request for the generated test voice, WAV out, default settings: what job tests and benches submit. */
export function testVoiceRequest(text: string): SynthesisRequest {
  return {
    text,
    characters: [...text].length,
    route: 'sauti-test-v1',
    fallbacks: [],
    settings: { ...DEFAULT_VOICE_SETTINGS },
    format: 'wav',
  };
}
