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
  if (names.has(base)) return true;
  // A region or variant eSpeak lacks: only subtag-shaped suffixes (BCP 47: letters and digits, 1-8 each).
  const dash = base.indexOf('-');
  return dash > 0 && names.has(base.slice(0, dash)) && /^(-[a-z0-9]{1,8})+$/.test(base.slice(dash));
}
