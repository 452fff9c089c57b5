import type { AudioStream } from './audio-stream';
import { pcm16ToFloat, readWavLayout, toMonoFloat, WavLayout, wavFrameBytes } from './wav';

/** Mono samples in [-1, 1] at `sampleRate`. */
export interface PcmChunk {
  samples: Float32Array;
  sampleRate: number;
}

/** Turns a compressed file's bytes into 16-bit mono PCM at a chosen rate (ffmpeg, in the pipeline). */
export type CompressedDecoder = (stream: AudioStream, sampleRate: number) => AsyncIterable<Buffer>;

/**
 * A stream's audio as mono float samples, chunk by chunk as it arrives. Raw PCM and WAV are read
 * in-process; compressed files go through `decode`, which also converts them to `preferredRate` (one
 * step instead of two). Bytes that end mid-sample are carried over to the next chunk.
 */
export async function* readPcm(stream: AudioStream, decode: CompressedDecoder, preferredRate: number): AsyncGenerator<PcmChunk> {
  const { format, sampleRate, channels } = stream.descriptor;
  if (format === 'wav') return yield* readWav(stream.chunks);
  if (format === 'pcm') return yield* readFrames(stream.chunks, { audioFormat: 1, bitsPerSample: 16, channels }, sampleRate);
  yield* readFrames(decode(stream, preferredRate), { audioFormat: 1, bitsPerSample: 16, channels: 1 }, preferredRate);
}

type SampleLayout = Parameters<typeof toMonoFloat>[1];

async function* readFrames(
  chunks: AsyncIterable<Buffer>,
  layout: SampleLayout,
  sampleRate: number,
  limit = Infinity,
): AsyncGenerator<PcmChunk> {
  const frameBytes = wavFrameBytes(layout);
  let carry: Buffer | undefined;
  let remaining = limit;
  for await (const chunk of chunks) {
    let bytes = carry ? Buffer.concat([carry, chunk]) : chunk;
    if (bytes.length > remaining) bytes = bytes.subarray(0, remaining);
    const whole = bytes.length - (bytes.length % frameBytes);
    carry = whole < bytes.length ? Buffer.from(bytes.subarray(whole)) : undefined;
    remaining -= whole;
    if (whole > 0) yield { samples: decodeFrames(bytes.subarray(0, whole), layout), sampleRate };
    if (remaining <= 0) return;
  }
}

function decodeFrames(bytes: Buffer, layout: SampleLayout): Float32Array {
  return layout.audioFormat === 1 && layout.bitsPerSample === 16 && layout.channels === 1
    ? pcm16ToFloat(bytes)
    : toMonoFloat(bytes, layout);
}

/** A WAV byte stream: the header is gathered (it may span chunks), then the data chunk is read as it comes. */
async function* readWav(chunks: AsyncIterable<Buffer>): AsyncGenerator<PcmChunk> {
  const iterator = chunks[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  let layout: WavLayout | 'incomplete' = 'incomplete';
  while (layout === 'incomplete') {
    const next = await iterator.next();
    if (next.done) throw new Error(head.length === 0 ? 'the WAV stream is empty' : 'the WAV stream ends before its data chunk');
    head = Buffer.concat([head, next.value]);
    layout = readWavLayout(head);
  }
  const { format, dataStart, dataBytes } = layout;
  async function* rest(): AsyncGenerator<Buffer> {
    if (head.length > dataStart) yield head.subarray(dataStart);
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  try {
    yield* readFrames(rest(), format, format.sampleRate, dataBytes ?? Infinity);
  } finally {
    await iterator.return?.();
  }
}
