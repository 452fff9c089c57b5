import { TtsError } from '../../common/tts-error';
import { DEFAULT_VOICE_SETTINGS, VoiceSettings } from '../tts-provider';

/**
 * Allowed ranges for the VITS knobs, named as the Sauti API names them so any face can reuse the
 * messages. Beyond these the models produce noise, silence or minutes of audio:
 * - speaking_rate 0.25–4 (length_scale 4 … 0.25);
 * - noise_scale 0–2 and noise_scale_duration 0–2 (0 = fully deterministic; Piper trains with 0.667 / 0.8).
 */
export const VOICE_SETTING_RULES = {
  speakingRate: { field: 'voice_settings.speaking_rate', min: 0.25, max: 4 },
  noiseScale: { field: 'voice_settings.noise_scale', min: 0, max: 2 },
  noiseScaleDuration: { field: 'voice_settings.noise_scale_duration', min: 0, max: 2 },
} as const satisfies Record<keyof VoiceSettings, { field: string; min: number; max: number }>;

/**
 * Fills defaults and rejects NaN, infinite, negative or out-of-range values with
 * `invalid_request` naming the field (`voice_settings.speaking_rate`) and its allowed range.
 */
export function validateVoiceSettings(settings: Partial<Record<keyof VoiceSettings, unknown>> = {}): VoiceSettings {
  const result = { ...DEFAULT_VOICE_SETTINGS };
  for (const key of Object.keys(VOICE_SETTING_RULES) as (keyof VoiceSettings)[]) {
    const value = settings[key];
    if (value === undefined || value === null) continue;
    const rule = VOICE_SETTING_RULES[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < rule.min || value > rule.max) {
      throw new TtsError('invalid_request', `${rule.field} must be a number from ${rule.min} to ${rule.max}, got ${describe(value)}`, {
        field: rule.field,
        details: { min: rule.min, max: rule.max },
      });
    }
    result[key] = value;
  }
  return result;
}

function describe(value: unknown): string {
  if (typeof value === 'number') return String(value);
  return JSON.stringify(value) ?? String(value);
}

/** Piper's `scales` input: [noise_scale, length_scale, noise_w]. `voiceLengthScale` is the voice's own default pace. */
export interface VitsScales {
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
}

export function toVitsScales(settings: VoiceSettings, voiceLengthScale = 1): VitsScales {
  return { noiseScale: settings.noiseScale, lengthScale: voiceLengthScale / settings.speakingRate, noiseW: settings.noiseScaleDuration };
}
