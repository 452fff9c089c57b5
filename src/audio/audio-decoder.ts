import { FfmpegLocation, FfmpegRunError, locateFfmpeg, runFfmpeg } from './ffmpeg';
import { decodeWav } from './wav';

/** Audio files an upstream may send, told apart by their first bytes. `wav` is read in-process; the rest need ffmpeg. */
export type AudioContainer = 'wav' | CompressedContainer;
export type CompressedContainer = 'mp3' | 'aac' | 'ogg' | 'flac' | 'webm' | 'mp4';

/**
 * The container `bytes` start with, from its magic number, or undefined (raw PCM, or something
 * unknown). MPEG audio and ADTS have no magic word, only a frame sync that raw PCM can also begin with
 * (a sample of -1 is FF FF): their header's fields must hold legal values too. ADTS always writes
 * layer 00, MPEG audio never does.
 */
export function sniffContainer(bytes: Buffer): AudioContainer | undefined {
  if (bytes.length < 4) return undefined;
  const magic = bytes.toString('latin1', 0, 4);
  if (magic === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WAVE') return 'wav';
  if (magic === 'OggS') return 'ogg';
  if (magic === 'fLaC') return 'flac';
  if (bytes.toString('latin1', 0, 3) === 'ID3') return 'mp3';
  if (bytes.readUInt32BE(0) === 0x1a45dfa3) return 'webm';
  if (bytes.length >= 8 && bytes.toString('latin1', 4, 8) === 'ftyp') return 'mp4';
  if (isAdtsHeader(bytes)) return 'aac';
  if (isMpegAudioHeader(bytes)) return 'mp3';
  return undefined;
}

/** ADTS: 12-bit sync, layer 00, a sampling-frequency index below 13 (13-15 are reserved). */
function isAdtsHeader(bytes: Buffer): boolean {
  return bytes[0] === 0xff && (bytes[1] & 0xf6) === 0xf0 && ((bytes[2] >> 2) & 0x0f) < 13;
}

/** MPEG audio: 11-bit sync; version, layer, bitrate and sample-rate fields none of their reserved or "bad" values. */
function isMpegAudioHeader(bytes: Buffer): boolean {
  if (bytes[0] !== 0xff || (bytes[1] & 0xe0) !== 0xe0) return false;
  const version = (bytes[1] >> 3) & 0x03;
  const layer = (bytes[1] >> 1) & 0x03;
  const bitrate = bytes[2] >> 4;
  const sampleRate = (bytes[2] >> 2) & 0x03;
  return version !== 0x01 && layer !== 0x00 && bitrate !== 0x00 && bitrate !== 0x0f && sampleRate !== 0x03;
}

const CONTAINER_MEDIA_TYPES: Record<string, AudioContainer> = {
  'audio/wav': 'wav',
  'audio/x-wav': 'wav',
  'audio/wave': 'wav',
  'audio/vnd.wave': 'wav',
  'audio/mpeg': 'mp3',
  'audio/mp3': 'mp3',
  'audio/aac': 'aac',
  'audio/aacp': 'aac',
  'audio/ogg': 'ogg',
  'audio/opus': 'ogg',
  'audio/flac': 'flac',
  'audio/x-flac': 'flac',
  'audio/webm': 'webm',
  'audio/mp4': 'mp4',
};

/** The container a `Content-Type` names (`audio/mpeg` → mp3), or undefined for raw or unknown types. */
export function containerOfMediaType(contentType: string | undefined): AudioContainer | undefined {
  const mediaType = contentType?.split(';')[0].trim().toLowerCase();
  return mediaType ? CONTAINER_MEDIA_TYPES[mediaType] : undefined;
}

export interface DecodedAudio {
  samples: Float32Array;
  sampleRate: number;
}

export interface DecodeOptions {
  /** Kill ffmpeg after this long. */
  timeoutMs: number;
  /** Kill ffmpeg when this aborts. */
  signal?: AbortSignal;
}

/** Why a compressed file could not be turned into samples; `reason` says whether ffmpeg was missing. */
export class AudioDecodeError extends Error {
  constructor(
    readonly reason: 'no_decoder' | 'unreadable' | 'timed_out' | 'aborted' | 'too_large',
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

// Mono 16-bit WAV at the file's own rate (decodeWav reads the rate from the header): the same shape,
// and under the same size cap, as a raw PCM answer. -bitexact keeps the encoder tag (a LIST chunk) out.
const DECODE_ARGUMENTS = [
  '-hide_banner',
  '-nostats',
  '-loglevel',
  'error',
  '-i',
  'pipe:0',
  '-map',
  '0:a:0',
  '-map_metadata',
  '-1',
  '-ac',
  '1',
  '-c:a',
  'pcm_s16le',
  '-bitexact',
  '-f',
  'wav',
  'pipe:1',
];

/**
 * Turns a compressed audio file into mono float samples at its own rate, through ffmpeg (the
 * npm-installed static build, or `FFMPEG_PATH`). WAV never comes here: `decodeWav` reads it in-process.
 * Upstreams are asked for WAV or raw PCM, so ffmpeg only runs for one that can send nothing else.
 */
export class AudioDecoder {
  private ffmpegPath: string | null | undefined;

  /**
   * `maxDecodedBytes` bounds what one answer may decode to (a small compressed file can expand a
   * hundredfold): the upstream HTTP body cap, so a compressed answer costs no more memory than a PCM one.
   */
  constructor(
    private readonly location: FfmpegLocation = {},
    private readonly maxDecodedBytes = 50 * 1024 * 1024,
  ) {}

  /** Whether compressed audio can be decoded here (the binary is looked for once, then remembered). */
  canDecodeCompressed(): boolean {
    return this.ffmpeg() !== undefined;
  }

  async decode(bytes: Buffer, container: CompressedContainer, options: DecodeOptions): Promise<DecodedAudio> {
    const ffmpegPath = this.ffmpeg();
    if (!ffmpegPath) throw new AudioDecodeError('no_decoder', `decoding ${container} needs ffmpeg, which this deployment does not have`);
    let wav: Buffer;
    try {
      wav = await runFfmpeg(ffmpegPath, DECODE_ARGUMENTS, bytes, { ...options, maxOutputBytes: this.maxDecodedBytes });
    } catch (error) {
      // A binary that is there but cannot run is as good as missing: later answers skip the provider.
      if (error instanceof FfmpegRunError && error.reason === 'not_started') this.ffmpegPath = null;
      throw decodeFailure(container, error, this.maxDecodedBytes);
    }
    const decoded = decodeWavOrThrow(wav, container);
    if (decoded.samples.length === 0) throw new AudioDecodeError('unreadable', `ffmpeg found no audio in the ${container} data`);
    return decoded;
  }

  private ffmpeg(): string | undefined {
    // A sync file-system check: done once per process, never per request.
    if (this.ffmpegPath === undefined) this.ffmpegPath = locateFfmpeg(this.location) ?? null;
    return this.ffmpegPath ?? undefined;
  }
}

function decodeWavOrThrow(bytes: Buffer, decodedFrom: CompressedContainer): DecodedAudio {
  try {
    const { samples, sampleRate } = decodeWav(bytes);
    return { samples, sampleRate };
  } catch (error) {
    throw new AudioDecodeError('unreadable', `ffmpeg's decoding of the ${decodedFrom} data cannot be read (${(error as Error).message})`, {
      cause: error,
    });
  }
}

function decodeFailure(container: CompressedContainer, error: unknown, maxDecodedBytes: number): AudioDecodeError {
  if (!(error instanceof FfmpegRunError))
    return new AudioDecodeError('unreadable', `ffmpeg could not decode the ${container} data`, { cause: error });
  switch (error.reason) {
    case 'not_started':
      return new AudioDecodeError('no_decoder', `decoding ${container} needs ffmpeg, which could not be started (${error.message})`, {
        cause: error,
      });
    case 'timed_out':
      return new AudioDecodeError('timed_out', `ffmpeg ${error.message} while decoding ${container}`, { cause: error });
    case 'aborted':
      return new AudioDecodeError('aborted', `decoding ${container} was cancelled`, { cause: error });
    case 'too_large':
      return new AudioDecodeError('too_large', `the ${container} data decodes to more than ${maxDecodedBytes} bytes`, { cause: error });
    case 'failed': {
      const said = error.exit.stderr.split('\n').filter(Boolean).slice(-2).join(' ').slice(0, 300);
      return new AudioDecodeError('unreadable', `ffmpeg could not decode the ${container} data (${said || error.message})`, {
        cause: error,
      });
    }
  }
}
