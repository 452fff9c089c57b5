import { ESPEAK_VARIANTS, ESPEAK_VOICE_NAMES } from './espeak-voice-list';

const names = new Set(ESPEAK_VOICE_NAMES);
const variants = new Set(ESPEAK_VARIANTS);

/**
 * Whether eSpeak NG can speak `voice`: a language (`sw`, `en-us`), a voice name (`swahili`) or file
 * (`gmw/en-US`), optionally `+variant` (`en+f3`). Case does not matter. A language with a region or
 * variant eSpeak does not have (`sw-tz`) is spoken in its base language, as eSpeak itself does; an
 * unknown variant is refused (eSpeak would ignore it silently).
 */
export function isEspeakVoice(voice: string): boolean {
  const [base, variant, ...rest] = voice.toLowerCase().split('+');
  if (rest.length > 0 || base === '' || (variant !== undefined && !variants.has(variant))) return false;
  return names.has(base) || (base.includes('-') && names.has(base.slice(0, base.indexOf('-'))));
}
