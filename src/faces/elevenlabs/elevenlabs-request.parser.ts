import { TtsError } from '../../common/tts-error';
import { DEFAULT_VOICE_SETTINGS } from '../../common/voice-settings';
import { speechText, SynthesisRequest } from '../../synthesis/synthesis-request';
import { ElevenLabsOutputFormat, parseOutputFormat } from './elevenlabs-output-format';

/** Longest `text` taken in one request (characters = Unicode code points after NFC). */
export const ELEVENLABS_MAX_TEXT_CHARACTERS = 5000;

/** ElevenLabs' range for `voice_settings.speed`. */
const SPEED_RANGE = [0.7, 1.2] as const;

/** A text-to-speech request in the face's terms: the neutral request, and what the client set that no engine here acts on. */
export interface ElevenLabsSpeechRequest {
  voiceId: string;
  modelId?: string;
  output: ElevenLabsOutputFormat;
  synthesis: SynthesisRequest;
  /** Fields the client set that this service accepts but cannot honour (ElevenLabs' names), for `x-ignored-fields`. */
  unhonoured: string[];
}

type Json = Record<string, unknown>;

/** A pydantic-style validation failure: the face renders it as ElevenLabs' 422 `{"detail": [...]}`. */
function invalid(field: string, message: string, type: string, input: unknown): TtsError {
  return new TtsError('invalid_request', message, { field, details: { type, input } });
}

function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalid(field, 'Input should be a valid string', 'string_type', value);
  return value;
}

function optionalNumber(body: Json, field: string, path: string, range: readonly [number, number]): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalid(path, 'Input should be a valid number', 'float_type', value);
  if (value < range[0]) throw invalid(path, `Input should be greater than or equal to ${range[0]}`, 'greater_than_equal', value);
  if (value > range[1]) throw invalid(path, `Input should be less than or equal to ${range[1]}`, 'less_than_equal', value);
  return value;
}

function optionalBoolean(body: Json, field: string, path: string): boolean | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalid(path, 'Input should be a valid boolean', 'bool_type', value);
  return value;
}

function optionalList(body: Json, field: string): unknown[] | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw invalid(field, 'Input should be a valid list', 'list_type', value);
  return value;
}

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `voice_settings`: speed is honoured (within what the serving engine takes); the others are listed as not honoured. */
function parseVoiceSettings(body: Json, unhonoured: string[]): number | undefined {
  const settings = body.voice_settings;
  if (settings === undefined || settings === null) return undefined;
  if (!isObject(settings))
    throw invalid('voice_settings', 'Input should be a valid dictionary or object', 'model_attributes_type', settings);
  for (const field of ['stability', 'similarity_boost', 'style'] as const) {
    if (optionalNumber(settings, field, `voice_settings.${field}`, [0, 1]) !== undefined) unhonoured.push(`voice_settings.${field}`);
  }
  if (optionalBoolean(settings, 'use_speaker_boost', 'voice_settings.use_speaker_boost') !== undefined) {
    unhonoured.push('voice_settings.use_speaker_boost');
  }
  return optionalNumber(settings, 'speed', 'voice_settings.speed', SPEED_RANGE);
}

/** The fields of the body and query that change nothing here when set (listed, never silently dropped). */
function parseUnhonouredOptions(body: Json, query: Json, unhonoured: string[]): void {
  const seed = body.seed;
  if (seed !== undefined && seed !== null) {
    if (typeof seed !== 'number' || !Number.isInteger(seed) || seed < 0 || seed > 4294967295) {
      throw invalid('seed', 'Input should be an integer from 0 to 4294967295', 'int_type', seed);
    }
    unhonoured.push('seed');
  }
  for (const field of ['previous_text', 'next_text']) if (optionalString(body, field)) unhonoured.push(field);
  for (const field of ['previous_request_ids', 'next_request_ids', 'pronunciation_dictionary_locators']) {
    if ((optionalList(body, field)?.length ?? 0) > 0) unhonoured.push(field);
  }
  const normalization = body.apply_text_normalization;
  if (normalization !== undefined && normalization !== null) {
    if (normalization !== 'auto' && normalization !== 'on' && normalization !== 'off') {
      throw invalid('apply_text_normalization', "Input should be 'auto', 'on' or 'off'", 'enum', normalization);
    }
    // Each engine normalises text its own way (numbers, abbreviations); it cannot be forced on or off.
    if (normalization !== 'auto') unhonoured.push('apply_text_normalization');
  }
  if (optionalBoolean(body, 'apply_language_text_normalization', 'apply_language_text_normalization')) {
    unhonoured.push('apply_language_text_normalization');
  }
  const latency = query.optimize_streaming_latency;
  if (latency !== undefined && latency !== '') {
    if (!/^[0-4]$/.test(String(latency))) {
      throw invalid('optimize_streaming_latency', 'Input should be an integer from 0 to 4', 'int_parsing', latency);
    }
    // Audio always leaves as it is produced, so there is no latency/quality trade-off to choose.
    unhonoured.push('optimize_streaming_latency');
  }
  const logging = query.enable_logging;
  if (logging !== undefined && !['true', 'false', '1', '0'].includes(String(logging))) {
    throw invalid('enable_logging', 'Input should be a valid boolean', 'bool_parsing', logging);
  }
}

/**
 * ElevenLabs' text-to-speech body and query → the neutral request. Unknown fields are ignored, as
 * ElevenLabs' API ignores them; known fields of the wrong type or out of range are a 422 naming them.
 */
export function parseElevenLabsSpeech(voiceId: string, rawBody: unknown, query: Json): ElevenLabsSpeechRequest {
  if (!isObject(rawBody)) throw invalid('body', 'Input should be a valid dictionary or object', 'model_attributes_type', rawBody);
  const body = rawBody;
  if (body.text === undefined || body.text === null) throw invalid('text', 'Field required', 'missing', undefined);
  const raw = optionalString(body, 'text') as string;
  const { text, characters } = speechText(raw);
  if (text.trim() === '') throw invalid('text', 'Field text must contain text to speak', 'string_too_short', raw);
  if (characters > ELEVENLABS_MAX_TEXT_CHARACTERS) {
    throw new TtsError(
      'text_too_long',
      `This request's text has ${characters} characters and exceeds the character limit of ${ELEVENLABS_MAX_TEXT_CHARACTERS} characters.`,
      { field: 'text' },
    );
  }
  const output = parseOutputFormat(query.output_format);
  const unhonoured: string[] = [];
  const modelId = optionalString(body, 'model_id');
  const language = optionalString(body, 'language_code');
  const speed = parseVoiceSettings(body, unhonoured);
  parseUnhonouredOptions(body, query, unhonoured);
  const synthesis: SynthesisRequest = {
    text,
    characters,
    route: voiceId,
    fallbacks: [],
    settings: { ...DEFAULT_VOICE_SETTINGS, speakingRate: speed ?? 1 },
    format: output.format,
    output: { sampleRate: output.sampleRate, ...(output.bitrateKbps !== undefined ? { bitrateKbps: output.bitrateKbps } : {}) },
    ...(language ? { language } : {}),
  };
  return { voiceId, ...(modelId ? { modelId } : {}), output, synthesis, unhonoured };
}
