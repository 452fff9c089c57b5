import { TtsError } from '../../../src/common/tts-error';
import { parseIdempotencyKey, parseText, parseVoiceSettings, requireObject } from '../../../src/faces/sauti/sauti-request.parser';

function failure(action: () => unknown): TtsError {
  try {
    action();
  } catch (error) {
    if (error instanceof TtsError) return error;
    throw error;
  }
  throw new Error('expected a TtsError');
}

describe('Sauti request parser', () => {
  describe('parseText', () => {
    it('counts code points after NFC, not UTF-16 units or bytes', () => {
      expect(parseText('🎉🇰🇪').characters).toBe(3);
      expect(parseText('ŋombe').characters).toBe(5);
      expect(parseText('e\u0301').characters).toBe(1);
      expect(parseText('e\u0301').text).toBe('é');
    });

    it('accepts exactly 5,000 characters of astral-plane text and refuses 5,001 with the document wording', () => {
      expect(parseText('😀'.repeat(5000)).characters).toBe(5000);
      const error = failure(() => parseText('😀'.repeat(5001)));
      expect(error).toMatchObject({
        code: 'invalid_request',
        field: 'text',
        message: "Field 'text' exceeds the maximum length of 5000 characters.",
      });
    });

    it('allows newline and tab, refuses other C0/C1 controls and DEL, giving the position in characters', () => {
      expect(parseText('Habari\nyako\tleo').characters).toBe(15);
      expect(failure(() => parseText('😀\r')).message).toBe(
        "Field 'text' contains the control character U+000D at character 1; only newline and tab are allowed.",
      );
      expect(failure(() => parseText('a\u007f')).message).toMatch(/U\+007F/);
      expect(failure(() => parseText('a\u009f')).message).toMatch(/U\+009F/);
    });

    it('refuses missing, non-string, empty, blank and ill-formed text', () => {
      expect(failure(() => parseText(undefined)).message).toBe("Field 'text' is required.");
      expect(failure(() => parseText(['a'])).message).toBe("Field 'text' must be a string, got array.");
      expect(failure(() => parseText('')).message).toBe("Field 'text' must not be empty.");
      expect(failure(() => parseText('\u00a0 \n')).message).toBe("Field 'text' must not be whitespace only.");
      expect(failure(() => parseText('a\udc00b')).field).toBe('text');
    });
  });

  describe('parseVoiceSettings', () => {
    it('fills the document defaults and maps names', () => {
      expect(parseVoiceSettings(undefined)).toEqual({ speakingRate: 1, noiseScale: 0.667, noiseScaleDuration: 0.8 });
      expect(parseVoiceSettings({ speaking_rate: 1.5 })).toEqual({ speakingRate: 1.5, noiseScale: 0.667, noiseScaleDuration: 0.8 });
    });

    it('refuses unknown keys and out-of-range values, naming the field', () => {
      expect(failure(() => parseVoiceSettings({ speakingRate: 1 })).field).toBe('voice_settings.speakingRate');
      expect(failure(() => parseVoiceSettings({ speaking_rate: 0.1 })).message).toBe(
        "Field 'voice_settings.speaking_rate' must be a number from 0.25 to 4, got 0.1.",
      );
      expect(failure(() => parseVoiceSettings({ noise_scale: -0.1 })).field).toBe('voice_settings.noise_scale');
      expect(failure(() => parseVoiceSettings({ noise_scale_duration: true })).field).toBe('voice_settings.noise_scale_duration');
    });
  });

  it('requireObject refuses arrays and scalars', () => {
    expect(failure(() => requireObject([], 'body', ['text'])).message).toBe('The request body must be a JSON object.');
    expect(failure(() => requireObject('x', 'voice_settings', [])).message).toBe("Field 'voice_settings' must be a JSON object.");
  });

  it('parseIdempotencyKey accepts 1–255 visible ASCII characters', () => {
    expect(parseIdempotencyKey(undefined)).toBeUndefined();
    expect(parseIdempotencyKey('order-7_ABC')).toBe('order-7_ABC');
    expect(failure(() => parseIdempotencyKey('with space')).field).toBe('Idempotency-Key');
    expect(failure(() => parseIdempotencyKey('k'.repeat(256))).code).toBe('invalid_request');
  });
});
