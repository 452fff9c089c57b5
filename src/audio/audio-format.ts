import { TtsError } from '../common/tts-error';
import type { AudioFormat } from '../synthesis/synthesis-request';

export type { AudioFormat };

export interface AudioFormatInfo {
  format: AudioFormat;
  /** The media type without parameters, for comparisons and `Accept` matching. */
  mediaType: string;
  /** File extension without the dot. */
  extension: string;
  /** False for the formats written in-process (wav, pcm, mp3, ulaw, alaw); true when ffmpeg must be present. */
  needsFfmpeg: boolean;
}

/**
 * One entry per format. A `Record` over the union means a format added to `AudioFormat` fails to
 * compile until it is described here.
 */
const FORMATS: Record<AudioFormat, AudioFormatInfo> = {
  wav: { format: 'wav', mediaType: 'audio/wav', extension: 'wav', needsFfmpeg: false },
  pcm: { format: 'pcm', mediaType: 'audio/pcm', extension: 'pcm', needsFfmpeg: false },
  mp3: { format: 'mp3', mediaType: 'audio/mpeg', extension: 'mp3', needsFfmpeg: false },
  opus: { format: 'opus', mediaType: 'audio/ogg', extension: 'opus', needsFfmpeg: true },
  aac: { format: 'aac', mediaType: 'audio/aac', extension: 'aac', needsFfmpeg: true },
  flac: { format: 'flac', mediaType: 'audio/flac', extension: 'flac', needsFfmpeg: true },
  // Headerless G.711 bytes: audio/basic is 8-bit μ-law at 8 kHz mono (RFC 2046); A-law has no registered bare type.
  ulaw: { format: 'ulaw', mediaType: 'audio/basic', extension: 'ulaw', needsFfmpeg: false },
  alaw: { format: 'alaw', mediaType: 'audio/x-alaw-basic', extension: 'alaw', needsFfmpeg: false },
};

/** The formats every face offers, in the order documentation and error messages list them. */
export const AUDIO_FORMATS: readonly AudioFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];

/** G.711 telephony formats: raw bytes, one per sample, offered where a dialect names them (ElevenLabs' `ulaw_8000`, `alaw_8000`). */
export const TELEPHONY_FORMATS: readonly AudioFormat[] = ['ulaw', 'alaw'];

/** Formats whose bytes are raw samples at the asked rate: no header, no codec rate to round to. */
export function isRawSamples(format: AudioFormat): boolean {
  return format === 'pcm' || format === 'ulaw' || format === 'alaw';
}

export function isAudioFormat(value: unknown): value is AudioFormat {
  return typeof value === 'string' && Object.prototype.hasOwnProperty.call(FORMATS, value);
}

export function audioFormatInfo(format: AudioFormat): AudioFormatInfo {
  return FORMATS[format];
}

/**
 * The `Content-Type` for audio in `format` whose samples run at `sampleRate` (the rate of the
 * encoded stream, which differs from the voice's rate only for opus and aac).
 *
 * Raw pcm carries no header, so its rate travels as a media-type parameter, as `audio/L16;rate=`
 * does (RFC 2586): `audio/pcm;rate=22050`. Clients that match on the bare type still match.
 * Opus names its codec because `audio/ogg` alone may also mean Vorbis.
 */
export function contentTypeFor(format: AudioFormat, sampleRate?: number): string {
  switch (format) {
    case 'pcm':
      return sampleRate === undefined ? 'audio/pcm' : `audio/pcm;rate=${sampleRate}`;
    case 'opus':
      return 'audio/ogg; codecs=opus';
    default:
      return FORMATS[format].mediaType;
  }
}

/** Engines report their rate; a nonsensical one is a programming error, not a client's. */
export function assertSampleRate(sampleRate: number): void {
  if (!Number.isInteger(sampleRate) || sampleRate < 1000 || sampleRate > 384000) {
    throw new TtsError('internal', `cannot encode audio at a sample rate of ${sampleRate} Hz`);
  }
}
