import type { AudioFormat } from './audio-format';
import { DEFAULT_BITRATES_KBPS, ffmpegEncodeArguments } from './ffmpeg';
import type { FfmpegPool } from './ffmpeg-stream';
import { ffmpegTransform } from './ffmpeg-stream';
import { encodeG711, G711Law } from './g711';
import type { NativeLame } from './lame-native';
import { MP3_BITRATES, Mp3Bitrate, Mp3Encoder } from './mp3-encoder';
import { floatToPcm16, wavHeader } from './wav';

export interface EncodeTarget {
  format: AudioFormat;
  /** The samples' rate, which is also the encoded rate (the caller resampled to a rate the codec takes). */
  sampleRate: number;
  bitrateKbps?: number;
  /** Samples in all, when known before the first: a WAV header then carries the exact sizes. */
  totalSamples?: number;
}

/** What the encoders run on: ffmpeg processes started ahead, and the system's LAME (undefined: absent or not used). */
export interface EncoderTools {
  ffmpeg?: FfmpegPool;
  lame?: NativeLame;
}

/**
 * Mono float samples → `target.format`, chunk by chunk: every chunk of output leaves as soon as the
 * encoder has it, and the concatenation is one valid file. wav, pcm, mp3, ulaw and alaw are written in this
 * process (mp3 by the system's LAME when `tools.lame` is given, else LAME in WebAssembly); opus, aac and
 * flac by an ffmpeg taken ready from `tools.ffmpeg` (undefined when ffmpeg is absent: callers check
 * availability before they start).
 */
export function encodeSamples(
  samples: AsyncIterable<Float32Array>,
  target: EncodeTarget,
  tools: EncoderTools,
  signal?: AbortSignal,
): AsyncGenerator<Buffer> {
  switch (target.format) {
    case 'pcm':
      return encodePcm(samples);
    case 'wav':
      return encodeWavStream(samples, target);
    case 'mp3':
      return encodeMp3(samples, target, tools.lame);
    case 'ulaw':
    case 'alaw':
      return encodeTelephony(samples, target.format);
    case 'opus':
    case 'aac':
    case 'flac':
      return encodeWithFfmpeg(samples, target, tools.ffmpeg, signal);
  }
}

async function* encodeTelephony(samples: AsyncIterable<Float32Array>, law: G711Law): AsyncGenerator<Buffer> {
  for await (const chunk of samples) if (chunk.length > 0) yield encodeG711(chunk, law);
}

/** ffmpeg is taken on the first read, so a stream that is never read holds no process. */
async function* encodeWithFfmpeg(
  samples: AsyncIterable<Float32Array>,
  target: EncodeTarget,
  pool: FfmpegPool | undefined,
  signal: AbortSignal | undefined,
): AsyncGenerator<Buffer> {
  if (!pool) throw new Error(`${target.format} needs ffmpeg`);
  const child = pool.take(ffmpegEncodeArguments(target.format, target.sampleRate, target.bitrateKbps));
  yield* ffmpegTransform(child, encodePcm(samples), { signal });
}

async function* encodePcm(samples: AsyncIterable<Float32Array>): AsyncGenerator<Buffer> {
  for await (const chunk of samples) if (chunk.length > 0) yield floatToPcm16(chunk);
}

async function* encodeWavStream(samples: AsyncIterable<Float32Array>, target: EncodeTarget): AsyncGenerator<Buffer> {
  yield wavHeader(target.sampleRate, target.totalSamples === undefined ? undefined : target.totalSamples * 2);
  yield* encodePcm(samples);
}

/** The nearest constant bitrate LAME takes at or above the one asked for. */
function mp3Bitrate(kbps: number | undefined): Mp3Bitrate {
  const wanted = kbps ?? (DEFAULT_BITRATES_KBPS.mp3 as number);
  return MP3_BITRATES.find((rate) => rate >= wanted) ?? 320;
}

async function* encodeMp3(
  samples: AsyncIterable<Float32Array>,
  target: EncodeTarget,
  lame: NativeLame | undefined,
): AsyncGenerator<Buffer> {
  const encoder = await Mp3Encoder.create(target.sampleRate, mp3Bitrate(target.bitrateKbps), lame);
  let finished = false;
  try {
    for await (const chunk of samples) {
      const bytes = encoder.encode(chunk);
      if (bytes.length > 0) yield bytes;
    }
    finished = true;
    const tail = encoder.finish();
    if (tail.length > 0) yield tail;
  } finally {
    if (!finished) encoder.release();
  }
}
