import { TtsError } from './tts-error';

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
