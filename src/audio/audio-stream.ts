import { AudioFormat, isRawSamples } from './audio-format';

/**
 * What a stream's bytes are: a format clients can ask for, or another file an upstream may send
 * (Ogg Vorbis, WebM, MP4), which is only ever decoded.
 */
export type StreamFormat = AudioFormat | 'ogg' | 'webm' | 'mp4';

/** What a stream of audio bytes is. */
export interface AudioDescriptor {
  /** `pcm` is raw 16-bit little-endian samples; every other format is a file's bytes, in order. */
  format: StreamFormat;
  /** Samples per second: exact for pcm and wav; for compressed files, the rate asked for (informative). */
  sampleRate: number;
  channels: number;
  /**
   * For wav: its samples are 16-bit integer PCM, as in every WAV this service writes. A WAV in another
   * sample format (24-bit, float) is re-encoded for a client that asked for wav, never passed through.
   */
  pcm16?: boolean;
  /**
   * For wav: whether its header states the data's size. A WAV written while it streams carries 0 or
   * 0xFFFFFFFF there instead; a client that asked for a file is then sent it whole, with exact sizes.
   */
  sizesStated?: boolean;
}

/**
 * Audio as it is produced: a descriptor and the bytes as they come. A consumer that stops iterating
 * (breaks out of `for await`) ends the producer's work; so does the signal the producer was given.
 */
export interface AudioStream {
  descriptor: AudioDescriptor;
  chunks: AsyncIterable<Buffer>;
  /** Bytes in all, when known before the first chunk (an upstream's Content-Length). */
  byteLength?: number;
}

/** What a client asked for. */
export interface OutputSpec {
  format: AudioFormat;
  /** The rate of pcm and wav output; compressed formats are encoded at the nearest rate their codec takes. */
  sampleRate: number;
  /** Compressed output too must be at exactly `sampleRate` (an ElevenLabs `output_format` names its rate). */
  exactRate?: boolean;
  /** Bitrate of mp3/opus/aac output; the encoder's speech-sized default when absent. */
  bitrateKbps?: number;
}

/**
 * Whether `source` can go to a client that asked for `target` byte for byte. Raw PCM and WAV must
 * be mono at the asked rate (a WAV's rate is in its header, but clients of a voice rely on the rate the
 * catalogue states); compressed files carry their rate, so any rate passes unless `exactRate` says not.
 */
export function passesThrough(source: AudioDescriptor, target: OutputSpec): boolean {
  if (source.format !== target.format) return false;
  if (source.format === 'wav' && !source.pcm16) return false;
  const uncompressed = source.format === 'wav' || isRawSamples(target.format);
  if (uncompressed) return source.sampleRate === target.sampleRate && source.channels === 1;
  return !target.exactRate || source.sampleRate === target.sampleRate;
}

/** Every chunk, concatenated. */
export async function collectBytes(chunks: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** A stream of one buffer (an upstream that answers in one piece, a stored result). */
export async function* onePiece(bytes: Buffer): AsyncGenerator<Buffer> {
  if (bytes.length > 0) yield bytes;
}
