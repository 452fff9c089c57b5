import { TtsError } from '../../../src/common/tts-error';
import { DEFAULT_VOICE_SETTINGS, validateVoiceSettings } from '../../../src/common/voice-settings';
import { toVitsScales } from '../../../src/providers/vits/vits-scales';

function rejection(settings: Record<string, unknown>): TtsError {
  try {
    validateVoiceSettings(settings);
  } catch (error) {
    return error as TtsError;
  }
  throw new Error('expected a rejection');
}

describe('validateVoiceSettings', () => {
  it('fills the Sauti defaults', () => {
    expect(validateVoiceSettings({})).toEqual(DEFAULT_VOICE_SETTINGS);
    expect(validateVoiceSettings({ speakingRate: 2 })).toEqual({ ...DEFAULT_VOICE_SETTINGS, speakingRate: 2 });
  });

  it.each([
    [{ speakingRate: Number.NaN }, 'voice_settings.speaking_rate', '0.25 to 4'],
    [{ speakingRate: -1 }, 'voice_settings.speaking_rate', '0.25 to 4'],
    [{ speakingRate: 0 }, 'voice_settings.speaking_rate', '0.25 to 4'],
    [{ speakingRate: 5 }, 'voice_settings.speaking_rate', '0.25 to 4'],
    [{ speakingRate: Number.POSITIVE_INFINITY }, 'voice_settings.speaking_rate', '0.25 to 4'],
    [{ noiseScale: -0.1 }, 'voice_settings.noise_scale', '0 to 2'],
    [{ noiseScale: 2.5 }, 'voice_settings.noise_scale', '0 to 2'],
    [{ noiseScaleDuration: Number.NaN }, 'voice_settings.noise_scale_duration', '0 to 2'],
    [{ noiseScaleDuration: '0.8' }, 'voice_settings.noise_scale_duration', '0 to 2'],
  ])('%p → invalid_request naming %s', (settings, field, range) => {
    const error = rejection(settings);
    expect(error).toBeInstanceOf(TtsError);
    expect(error.code).toBe('invalid_request');
    expect(error.field).toBe(field);
    expect(error.message).toContain(field);
    expect(error.message).toContain(range);
  });

  it('maps speaking_rate to length_scale = voice length_scale / speaking_rate', () => {
    expect(toVitsScales({ speakingRate: 2, noiseScale: 0.5, noiseScaleDuration: 0.7 })).toEqual({
      noiseScale: 0.5,
      lengthScale: 0.5,
      noiseW: 0.7,
    });
    expect(toVitsScales({ speakingRate: 0.5, noiseScale: 0.667, noiseScaleDuration: 0.8 }, 1.1).lengthScale).toBeCloseTo(2.2);
  });
});
