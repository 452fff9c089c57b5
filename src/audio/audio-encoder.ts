import { TtsError } from '../common/tts-error';
import { AudioFormat, assertSampleRate, audioFormatInfo, contentTypeFor } from './audio-format';
import { EncoderStream, EncoderStreamOptions, createEncoderStream } from './encoder-stream';
import {
  FfmpegLocation,
  availableFormats,
  encodedSampleRate,
  ffmpegEncodeArguments,
  formatUnavailable,
  locateFfmpeg,
  runEncoder,
} from './ffmpeg';
import { encodeWav, floatToPcm16 } from './wav';

export interface EncodedAudio {
  bytes: Buffer;
  format: AudioFormat;
  contentType: string;
  /** File extension without the dot. */
  extension: string;
  /** The rate of the encoded stream: the input's, except where the codec needs another (opus, aac). */
  sampleRate: number;
  /** The length of the speech itself; codec priming and padding (a few tens of ms) are not counted. */
  durationSeconds: number;
}

export interface EncodeOptions extends FfmpegLocation {
  /** Kill ffmpeg after this long. Default: 10 s plus half the audio's own duration. */
  timeoutMs?: number;
}

/**
 * Encodes mono float samples in [-1, 1] (louder samples clip) into `format`. wav and pcm are written
 * in-process; the other formats pipe 16-bit PCM through ffmpeg. Rejects with `format_unavailable` when
 * the encoder is missing, never with a broken file.
 */
export async function encodeAudio(
  samples: Float32Array,
  sampleRate: number,
  format: AudioFormat,
  options: EncodeOptions = {},
): Promise<EncodedAudio> {
  assertSampleRate(sampleRate);
  const durationSeconds = samples.length / sampleRate;
  const outputRate = encodedSampleRate(format, sampleRate);
  const described = {
    format,
    contentType: contentTypeFor(format, outputRate),
    extension: audioFormatInfo(format).extension,
    sampleRate: outputRate,
    durationSeconds,
  };
  if (format === 'wav') return { ...described, bytes: encodeWav(samples, sampleRate) };
  if (format === 'pcm') return { ...described, bytes: floatToPcm16(samples) };
  const ffmpegPath = locateFfmpeg(options);
  if (!ffmpegPath) throw formatUnavailable(format);
  const timeoutMs = options.timeoutMs ?? 10000 + durationSeconds * 500;
  const bytes = await runEncoder(ffmpegPath, format, ffmpegEncodeArguments(format, sampleRate, false), floatToPcm16(samples), timeoutMs);
  if (format === 'flac') setFlacTotalSamples(bytes, samples.length);
  return { ...described, bytes };
}

/**
 * ffmpeg writes FLAC's STREAMINFO before it has seen the audio and cannot seek back on a pipe, so the
 * total sample count stays 0 ("unknown") and players cannot show a duration. We know the count, so we
 * write it: the low 36 bits of the 8 bytes after STREAMINFO's block sizes (FLAC format, section
 * METADATA_BLOCK_STREAMINFO). The MD5 stays zero, which the format defines as "not computed".
 */
export function setFlacTotalSamples(flac: Buffer, totalSamples: number): void {
  const streamInfoStart = 8; // "fLaC" + the 4-byte metadata block header
  if (flac.length < streamInfoStart + 34 || flac.toString('ascii', 0, 4) !== 'fLaC' || (flac[4] & 0x7f) !== 0) {
    throw new TtsError('internal', 'ffmpeg produced FLAC without a leading STREAMINFO block');
  }
  const at = streamInfoStart + 10;
  flac[at + 3] = (flac[at + 3] & 0xf0) | (Math.floor(totalSamples / 2 ** 32) & 0x0f);
  flac.writeUInt32BE(totalSamples % 2 ** 32, at + 4);
}

/**
 * The encoders as one service, so faces and processors share one probe and one binary location
 * (`AppConfig.ffmpeg`; the module builds it with a factory).
 */
export class AudioEncoder {
  constructor(private readonly location: FfmpegLocation = {}) {}

  /** The formats this deployment can produce (probed once, cached). */
  availableFormats(): Promise<ReadonlySet<AudioFormat>> {
    return availableFormats(this.location);
  }

  /**
   * Throws `format_unavailable` naming the client's `field` when `format` cannot be produced here.
   * Faces call it while validating, before accepting a job or sending response headers.
   */
  async assertAvailable(format: AudioFormat, field?: string): Promise<void> {
    // wav and pcm need no encoder: no look for ffmpeg on the file system on their requests.
    if (!audioFormatInfo(format).needsEncoder || (await this.availableFormats()).has(format)) return;
    throw new TtsError('format_unavailable', formatUnavailable(format).message, { field, details: { format } });
  }

  encode(samples: Float32Array, sampleRate: number, format: AudioFormat, timeoutMs?: number): Promise<EncodedAudio> {
    return encodeAudio(samples, sampleRate, format, { ...this.location, timeoutMs });
  }

  createStream(sampleRate: number, format: AudioFormat, options: Omit<EncoderStreamOptions, keyof FfmpegLocation> = {}): EncoderStream {
    return createEncoderStream(sampleRate, format, { ...this.location, ...options });
  }
}
