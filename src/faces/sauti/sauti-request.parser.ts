import { TtsError } from '../../common/tts-error';
import { validateVoiceSettings, VoiceSettings } from '../../common/voice-settings';
import { speechText, SynthesisRequest } from '../../synthesis/synthesis-request';
import { SAUTI_MAX_CHARACTERS } from './sauti-routes';

const VOICE_SETTING_FIELDS: Record<string, keyof VoiceSettings> = {
  speaking_rate: 'speakingRate',
  noise_scale: 'noiseScale',
  noise_scale_duration: 'noiseScaleDuration',
};

/** C0 and C1 control characters except tab (U+0009) and newline (U+000A). */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const FORBIDDEN_CONTROL = /[\u0000-\u0008\u000B-\u001F\u007F-\u009F]/u;

/** In a `u` regex a surrogate class matches only surrogates that do not form a pair. */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

function invalid(field: string, detail: string): TtsError {
  return new TtsError('invalid_request', `Field '${field}' ${detail}`, { field });
}

function codePointLabel(character: string): string {
  return `U+${character.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The body as an object whose keys are all known; anything else is a 422 naming the field. */
export function requireObject(body: unknown, field: string, allowed: readonly string[]): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new TtsError(
      'invalid_request',
      field === 'body' ? 'The request body must be a JSON object.' : `Field '${field}' must be a JSON object.`,
      { field },
    );
  }
  const prefix = field === 'body' ? '' : `${field}.`;
  const unknown = Object.keys(body).find((key) => !allowed.includes(key));
  if (unknown !== undefined) throw invalid(`${prefix}${unknown}`, `is not a recognised field; allowed: ${allowed.join(', ')}.`);
  return body as Record<string, unknown>;
}

/**
 * `text` as the document defines it: a non-blank string of at most 5,000 characters, counted as a
 * person counts them (code points after NFC), without control characters other than newline and tab.
 */
export function parseText(value: unknown): { text: string; characters: number } {
  if (value === undefined || value === null) throw invalid('text', 'is required.');
  if (typeof value !== 'string') throw invalid('text', `must be a string, got ${Array.isArray(value) ? 'array' : typeof value}.`);
  // JSON escapes can carry a lone surrogate, which is not text and cannot be encoded as UTF-8.
  if (LONE_SURROGATE.test(value)) throw invalid('text', 'contains an unpaired UTF-16 surrogate; it must be valid Unicode text.');
  const { text, characters } = speechText(value);
  if (characters > SAUTI_MAX_CHARACTERS) throw invalid('text', `exceeds the maximum length of ${SAUTI_MAX_CHARACTERS} characters.`);
  if (text.trim().length === 0) throw invalid('text', characters === 0 ? 'must not be empty.' : 'must not be whitespace only.');
  const control = FORBIDDEN_CONTROL.exec(text);
  if (control) {
    const position = [...text.slice(0, control.index)].length;
    throw invalid(
      'text',
      `contains the control character ${codePointLabel(control[0])} at character ${position}; only newline and tab are allowed.`,
    );
  }
  return { text, characters };
}

/** `voice_settings` in the document's names, defaults filled, ranges checked by the VITS rules. */
export function parseVoiceSettings(value: unknown): VoiceSettings {
  if (value === undefined || value === null) return validateVoiceSettings();
  const settings = requireObject(value, 'voice_settings', Object.keys(VOICE_SETTING_FIELDS));
  const internal: Partial<Record<keyof VoiceSettings, unknown>> = {};
  for (const [name, key] of Object.entries(VOICE_SETTING_FIELDS)) internal[key] = settings[name];
  try {
    return validateVoiceSettings(internal);
  } catch (error) {
    if (!(error instanceof TtsError) || !error.field) throw error;
    // The shared rule says "voice_settings.x must be …": say it the way every other Sauti 422 does.
    const rest = error.message.startsWith(error.field) ? error.message.slice(error.field.length).trim() : error.message;
    throw new TtsError('invalid_request', `Field '${error.field}' ${rest}.`, { field: error.field, details: error.details });
  }
}

/** A Sauti voice id is a catalogue voice; `provider/model` keys belong to other faces. */
export function parseVoiceId(value: unknown, field: string): string {
  if (value === undefined || value === null) throw invalid(field, 'is required.');
  if (typeof value !== 'string') throw invalid(field, `must be a string, got ${typeof value}.`);
  if (value.trim().length === 0) throw invalid(field, 'must not be empty.');
  return value;
}

export function toSynthesisRequest(voiceId: string, body: Record<string, unknown>): SynthesisRequest {
  const { text, characters } = parseText(body.text);
  return { text, characters, route: voiceId, fallbacks: [], settings: parseVoiceSettings(body.voice_settings), format: 'wav' };
}

/** The shared rule for the `Idempotency-Key` header (src/common/http/idempotency-key.ts). */
export { parseIdempotencyKey } from '../../common/http/idempotency-key';
