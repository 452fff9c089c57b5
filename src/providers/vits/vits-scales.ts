import type { VoiceSettings } from '../../common/voice-settings';

/** Piper's `scales` input: [noise_scale, length_scale, noise_w]. `voiceLengthScale` is the voice's own default pace. */
export interface VitsScales {
  noiseScale: number;
  lengthScale: number;
  noiseW: number;
}

export function toVitsScales(settings: VoiceSettings, voiceLengthScale = 1): VitsScales {
  return { noiseScale: settings.noiseScale, lengthScale: voiceLengthScale / settings.speakingRate, noiseW: settings.noiseScaleDuration };
}
