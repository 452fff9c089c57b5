import type { AudioFormat } from '../../audio/audio-format';
import { TtsError } from '../../common/tts-error';

/** An ElevenLabs `output_format`: codec, exact sample rate and, for mp3 and opus, the exact bitrate. */
export interface ElevenLabsOutputFormat {
  name: string;
  format: AudioFormat;
  sampleRate: number;
  bitrateKbps?: number;
}

const MP3 = ['mp3_22050_32', 'mp3_44100_32', 'mp3_44100_64', 'mp3_44100_96', 'mp3_44100_128', 'mp3_44100_192'];
const PCM = ['pcm_8000', 'pcm_16000', 'pcm_22050', 'pcm_24000', 'pcm_44100', 'pcm_48000'];
const TELEPHONY = ['ulaw_8000', 'alaw_8000'];
const OPUS = ['opus_48000_32', 'opus_48000_64', 'opus_48000_96', 'opus_48000_128', 'opus_48000_192'];

/** Every `output_format` this face produces, in ElevenLabs' order. */
export const ELEVENLABS_OUTPUT_FORMATS: readonly string[] = [...MP3, ...PCM, ...TELEPHONY, ...OPUS];

/** ElevenLabs' default when the query names none. */
export const DEFAULT_OUTPUT_FORMAT = 'mp3_44100_128';

/** `output_format` as the pipeline's terms; anything else is a 422 naming the query parameter. */
export function parseOutputFormat(value: unknown): ElevenLabsOutputFormat {
  const name = value === undefined || value === '' ? DEFAULT_OUTPUT_FORMAT : value;
  if (typeof name !== 'string' || !ELEVENLABS_OUTPUT_FORMATS.includes(name)) {
    throw new TtsError('invalid_request', `Input should be ${ELEVENLABS_OUTPUT_FORMATS.map((format) => `'${format}'`).join(', ')}`, {
      field: 'output_format',
      details: { input: value, type: 'enum' },
    });
  }
  const [codec, rate, bitrate] = name.split('_');
  return {
    name,
    format: codec as AudioFormat,
    sampleRate: Number(rate),
    ...(bitrate !== undefined ? { bitrateKbps: Number(bitrate) } : {}),
  };
}
