import { setImmediate as nextTurn } from 'node:timers/promises';
import { TtsError } from '../common/tts-error';
import { AudioFormat, audioFormatInfo, contentTypeFor, isRawSamples } from './audio-format';
import type { AudioStream, OutputSpec } from './audio-stream';
import { collectBytes, onePiece, passesThrough } from './audio-stream';
import {
  availableFormats,
  encodedSampleRate,
  encoderFailure,
  ffmpegDecodeArguments,
  FfmpegLocation,
  FfmpegRunError,
  formatUnavailable,
  locateFfmpeg,
} from './ffmpeg';
import { FfmpegPool, ffmpegTransform } from './ffmpeg-stream';
import { loadNativeLame, NativeLame } from './lame-native';
import { readPcm } from './pcm-reader';
import { StreamResampler } from './resample';
import { encodeSamples } from './stream-encoders';
import { floatToPcm16 } from './wav';
import { wholeFile } from './whole-file';

/** Audio on its way to a client: the stream plus what the response needs to say about it. */
export interface ClientAudio extends AudioStream {
  contentType: string;
  /** The provider's own bytes, untouched. */
  passedThrough: boolean;
  /** Samples encoded so far (undefined when passed through): after the stream ends, its length. */
  samplesWritten(): number | undefined;
}

/** A provider's file that cannot be turned into samples here: unreadable, or no decoder in this deployment. */
export class UndecodableAudioError extends Error {
  constructor(
    readonly reason: 'no_decoder' | 'unreadable',
    message: string,
    readonly format: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** How mp3 is encoded: `lameLibrary` names the LAME shared library to open, or 'wasm' for LAME in WebAssembly; unset, the usual names are tried, then WebAssembly. */
export interface Mp3EncoderChoice {
  lameLibrary?: string;
}

/** Samples resampled in one go before the event loop gets a turn (~1 ms of work). */
const RESAMPLE_SLICE = 8192;

/**
 * Turns a provider's audio into what a client asked for, as it flows. When the provider's own format
 * is the client's (and the rate where it matters), its bytes pass through untouched. Otherwise the
 * stream is decoded (raw PCM and WAV in-process, compressed files by ffmpeg), resampled and encoded
 * chunk by chunk (wav, pcm and mp3 in-process; opus, aac and flac by ffmpeg processes started ahead).
 * No stage holds more than a chunk, so the first bytes leave as soon as the first chunk is converted.
 */
export class AudioPipeline {
  private readonly ffmpegPath: string | undefined;
  private readonly pool: FfmpegPool | undefined;
  private readonly lame: NativeLame | undefined;

  constructor(
    private readonly location: FfmpegLocation = {},
    mp3: Mp3EncoderChoice = {},
  ) {
    this.ffmpegPath = locateFfmpeg(location);
    this.pool = this.ffmpegPath ? new FfmpegPool(this.ffmpegPath) : undefined;
    this.lame = mp3.lameLibrary === 'wasm' ? undefined : loadNativeLame(mp3.lameLibrary);
    if (!this.lame && mp3.lameLibrary !== undefined && mp3.lameLibrary !== 'wasm')
      throw new Error(`LAME_LIBRARY=${mp3.lameLibrary}: no LAME library could be opened there`);
  }

  /** Which LAME writes mp3 here, for the start-up log: the system's library (its name and version), or the WebAssembly build. */
  mp3Encoder(): string {
    return this.lame ? `LAME ${this.lame.version} (${this.lame.library})` : 'LAME in WebAssembly (wasm-media-encoders)';
  }

  /** Whether compressed files can be decoded here (upstreams that answer only mp3/opus/aac/flac). */
  canDecodeCompressed(): boolean {
    return this.pool !== undefined;
  }

  /** The formats this deployment can produce (ffmpeg's are proven once by a probe, then cached). */
  availableFormats(): Promise<ReadonlySet<AudioFormat>> {
    return availableFormats(this.location);
  }

  /**
   * Throws `format_unavailable` naming the client's `field` when `format` cannot be produced here.
   * Faces call it while validating, before anything is billed or any header is sent.
   */
  async assertAvailable(format: AudioFormat, field?: string): Promise<void> {
    if (!audioFormatInfo(format).needsFfmpeg || (await this.availableFormats()).has(format)) return;
    throw new TtsError('format_unavailable', formatUnavailable(format).message, { field, details: { format } });
  }

  /** The rate `target` is encoded at: its own for pcm and wav, the nearest the codec takes otherwise. */
  outputRate(target: OutputSpec): number {
    if (isRawSamples(target.format) || target.format === 'wav' || target.exactRate) return target.sampleRate;
    return encodedSampleRate(target.format, target.sampleRate);
  }

  /** `source` as `target` asks; `signal` stops the ffmpeg processes it uses (decoding, encoding) at once. */
  convert(source: AudioStream, target: OutputSpec, signal?: AbortSignal): ClientAudio {
    if (passesThrough(source.descriptor, target)) {
      return {
        ...source,
        contentType: contentTypeFor(target.format, source.descriptor.sampleRate),
        passedThrough: true,
        samplesWritten: () => undefined,
      };
    }
    const rate = this.outputRate(target);
    const totalSamples = knownOutputSamples(source, rate);
    let written = 0;
    const counted = async function* (samples: AsyncIterable<Float32Array>): AsyncGenerator<Float32Array> {
      for await (const chunk of samples) {
        written += chunk.length;
        yield chunk;
      }
    };
    const chunks = encoderErrors(
      target.format,
      encodeSamples(
        counted(this.samples(source, rate, signal)),
        { format: target.format, sampleRate: rate, bitrateKbps: target.bitrateKbps, totalSamples },
        { ffmpeg: this.pool, lame: this.lame },
        signal,
      ),
    );
    const byteLength = totalSamples === undefined ? undefined : knownByteLength(target.format, totalSamples);
    return {
      descriptor: { format: target.format, sampleRate: rate, channels: 1 },
      chunks,
      ...(byteLength !== undefined ? { byteLength } : {}),
      contentType: contentTypeFor(target.format, rate),
      passedThrough: false,
      samplesWritten: () => written,
    };
  }

  /** The stream's audio as mono float samples at `sampleRate`, as it arrives. */
  async *samples(source: AudioStream, sampleRate: number, signal?: AbortSignal): AsyncGenerator<Float32Array> {
    let resampler: StreamResampler | undefined;
    for await (const chunk of readPcm(source, (stream, rate) => this.decode(stream, rate, signal), sampleRate)) {
      if (chunk.sampleRate === sampleRate) {
        yield chunk.samples;
        continue;
      }
      resampler ??= new StreamResampler(chunk.sampleRate, sampleRate);
      for (let at = 0; at < chunk.samples.length; at += RESAMPLE_SLICE) {
        // A long chunk (a whole sentence from a local engine) is resampled in slices so other requests get turns.
        if (at > 0) await nextTurn();
        const out = resampler.push(chunk.samples.subarray(at, at + RESAMPLE_SLICE));
        if (out.length > 0) yield out;
      }
    }
    const tail = resampler?.end();
    if (tail && tail.length > 0) yield tail;
  }

  /** Whole samples as one file of `target` (fixtures, benches and stored results). */
  async encode(samples: Float32Array, sampleRate: number, target: OutputSpec): Promise<{ bytes: Buffer; durationSeconds: number }> {
    const source = {
      descriptor: { format: 'pcm' as const, sampleRate, channels: 1 },
      byteLength: samples.length * 2,
      chunks: onePiece(floatToPcm16(samples)),
    };
    const audio = this.convert(source, target);
    return wholeFile(target.format, await collectBytes(audio.chunks), audio.descriptor.sampleRate, audio.samplesWritten());
  }

  /** ffmpeg processes started ahead and waiting for a request. */
  processesReady(): number {
    return this.pool?.ready() ?? 0;
  }

  close(): void {
    this.pool?.close();
  }

  /** A compressed file's audio via ffmpeg; a file that cannot be decoded is the provider's fault, not the client's. */
  private async *decode(stream: AudioStream, sampleRate: number, signal?: AbortSignal): AsyncGenerator<Buffer> {
    const format = stream.descriptor.format;
    if (!this.pool)
      throw new UndecodableAudioError('no_decoder', `decoding ${format} needs ffmpeg, which this deployment does not have`, format);
    try {
      yield* ffmpegTransform(this.pool.take(ffmpegDecodeArguments(sampleRate)), stream.chunks, { signal });
    } catch (error) {
      if (!(error instanceof FfmpegRunError)) throw error;
      const said = error.exit.stderr.split('\n').filter(Boolean).slice(-2).join(' ').slice(0, 300);
      throw new UndecodableAudioError('unreadable', `ffmpeg could not decode the ${format} data (${said || error.message})`, format, {
        cause: error,
      });
    }
  }
}

/** Output samples in all, when the source's length is known up front (raw PCM with a Content-Length). */
function knownOutputSamples(source: AudioStream, rate: number): number | undefined {
  const { format, sampleRate, channels } = source.descriptor;
  if (format !== 'pcm' || source.byteLength === undefined) return undefined;
  const frames = Math.floor(source.byteLength / (2 * channels));
  return sampleRate === rate ? frames : Math.round((frames * rate) / sampleRate);
}

/** Bytes of `samples` in `format`, for the formats whose size follows from the sample count. */
function knownByteLength(format: AudioFormat, samples: number): number | undefined {
  if (format === 'pcm') return samples * 2;
  if (format === 'wav') return samples * 2 + 44;
  if (format === 'ulaw' || format === 'alaw') return samples;
  return undefined;
}

/** An encoder's failure as the TtsError a client sees (a missing encoder is `format_unavailable`). */
async function* encoderErrors(format: AudioFormat, chunks: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  try {
    yield* chunks;
  } catch (error) {
    throw error instanceof FfmpegRunError ? encoderFailure(format, error) : error;
  }
}
