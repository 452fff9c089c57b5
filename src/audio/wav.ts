/** 16-bit PCM WAV (RIFF/WAVE), mono: the service's native audio container. */
import { endianness } from 'node:os';
import type { AudioDescriptor } from './audio-stream';

const HEADER_BYTES = 44;

const LITTLE_ENDIAN = endianness() === 'LE';

/** Float samples in [-1, 1] to little-endian 16-bit PCM. Out-of-range values clip; they never wrap around. */
export function floatToPcm16(samples: Float32Array): Buffer {
  const pcm = new Int16Array(samples.length);
  floatToInt16(samples, pcm);
  return int16ToPcm16(pcm);
}

/**
 * Writes float samples in [-1, 1] as 16-bit integers (native byte order) into `target` from its start:
 * out-of-range values clip, NaN becomes 0, and the result is Math.round of the sample scaled by 0x8000
 * below zero and 0x7fff above. One pass without a call per sample (Math.floor(x + 0.5) is Math.round(x)
 * for every value this scaling yields; NaN stays NaN and an Int16Array stores it as 0).
 */
export function floatToInt16(samples: Float32Array, target: Int16Array): void {
  for (let i = 0; i < samples.length; i++) {
    const value = samples[i];
    target[i] = value >= 1 ? 0x7fff : value <= -1 ? -0x8000 : Math.floor((value < 0 ? value * 0x8000 : value * 0x7fff) + 0.5);
  }
}

/** 16-bit samples as little-endian PCM bytes: a view of the same memory (swapped in place on a big-endian host). */
export function int16ToPcm16(pcm: Int16Array): Buffer {
  const bytes = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return LITTLE_ENDIAN ? bytes : bytes.swap16();
}

export function pcm16ToFloat(pcm: Buffer): Float32Array {
  const count = Math.floor(pcm.length / 2);
  // A typed view needs 2-byte alignment and little-endian order; otherwise work on an aligned copy.
  const aligned = pcm.byteOffset % 2 === 0 && LITTLE_ENDIAN ? pcm : Buffer.from(pcm.subarray(0, count * 2));
  if (!LITTLE_ENDIAN) aligned.swap16();
  const values = new Int16Array(aligned.buffer, aligned.byteOffset, count);
  const samples = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const value = values[i];
    samples[i] = value < 0 ? value / 0x8000 : value / 0x7fff;
  }
  return samples;
}

/**
 * The 44-byte header for `dataBytes` of mono 16-bit PCM. For a stream whose length is not known yet,
 * pass `undefined`: the sizes are set to the maximum, which players treat as "until end of stream".
 */
export function wavHeader(sampleRate: number, dataBytes: number | undefined): Buffer {
  const header = Buffer.alloc(HEADER_BYTES);
  const data = dataBytes ?? 0xffffffff - 36;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(Math.min(0xffffffff, 36 + data), 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // PCM fmt chunk size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // mono
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * 2, 28); // byte rate
  header.writeUInt16LE(2, 32); // block align
  header.writeUInt16LE(16, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(data, 40);
  return header;
}

export function encodeWav(samples: Float32Array, sampleRate: number): Buffer {
  const pcm = floatToPcm16(samples);
  return Buffer.concat([wavHeader(sampleRate, pcm.length), pcm]);
}

export interface DecodedWav {
  samples: Float32Array;
  sampleRate: number;
  channels: number;
}

/** Where a WAV file's samples start and how they are laid out. */
export interface WavLayout {
  format: WavSampleFormat;
  /** Offset of the first sample byte. */
  dataStart: number;
  /** The data chunk's declared size; undefined when it is a streaming placeholder (0 or ≥ 2 GiB). */
  dataBytes: number | undefined;
}

/**
 * The layout of a WAV file from its first bytes, or 'incomplete' while the data chunk's header has
 * not arrived yet. Walks the chunks rather than assuming a 44-byte header. Throws when the bytes are
 * not a WAV file.
 */
export function readWavLayout(bytes: Buffer): WavLayout | 'incomplete' {
  if (bytes.length < 12) return 'incomplete';
  if (bytes.toString('ascii', 0, 4) !== 'RIFF' || bytes.toString('ascii', 8, 12) !== 'WAVE') throw new Error('not a RIFF/WAVE file');
  let offset = 12;
  let format: WavSampleFormat | undefined;
  while (offset + 8 <= bytes.length) {
    const id = bytes.toString('ascii', offset, offset + 4);
    const declared = bytes.readUInt32LE(offset + 4);
    const start = offset + 8;
    if (id === 'data') {
      if (!format) throw new Error('WAV data chunk before fmt chunk');
      return { format, dataStart: start, dataBytes: declared === 0 || declared >= 0x80000000 ? undefined : declared };
    }
    if (start + declared > bytes.length) return 'incomplete';
    if (id === 'fmt ') {
      let audioFormat = bytes.readUInt16LE(start);
      if (audioFormat === 0xfffe && declared >= 40) audioFormat = bytes.readUInt16LE(start + 24); // WAVE_FORMAT_EXTENSIBLE
      format = {
        audioFormat,
        channels: bytes.readUInt16LE(start + 2),
        sampleRate: bytes.readUInt32LE(start + 4),
        bitsPerSample: bytes.readUInt16LE(start + 14),
      };
      checkSampleLayout(format);
    }
    offset = start + declared + (declared % 2);
  }
  return 'incomplete';
}

/**
 * Reads PCM WAV (8/16/24/32-bit integer or 32-bit float, any channel count, downmixed to mono).
 * Tolerates streaming sizes (0 or 0xFFFFFFFF).
 */
export function decodeWav(bytes: Buffer): DecodedWav {
  const layout = readWavLayout(bytes);
  if (layout === 'incomplete') throw new Error('WAV file has no data chunk');
  const { format, dataStart, dataBytes } = layout;
  const end = dataBytes === undefined || dataStart + dataBytes > bytes.length ? bytes.length : dataStart + dataBytes;
  return { samples: toMonoFloat(bytes.subarray(dataStart, end), format), sampleRate: format.sampleRate, channels: format.channels };
}

function checkSampleLayout(format: WavSampleFormat): void {
  const bytesPerSample = format.bitsPerSample / 8;
  if (format.channels < 1 || !Number.isInteger(bytesPerSample) || bytesPerSample < 1) throw new Error('unsupported WAV sample layout');
  sampleReader(format.audioFormat, format.bitsPerSample);
}

/** Bytes per frame (one sample of every channel). */
export function wavFrameBytes(format: Omit<WavSampleFormat, 'sampleRate'>): number {
  return (format.bitsPerSample / 8) * format.channels;
}

/** The `fmt ` chunk's fields that say how samples are laid out. */
export interface WavSampleFormat {
  audioFormat: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

/** Whole frames of `data` as mono float samples (channels averaged). */
export function toMonoFloat(data: Buffer, format: Omit<WavSampleFormat, 'sampleRate'>): Float32Array {
  if (format.audioFormat === 1 && format.bitsPerSample === 16 && format.channels === 1) return pcm16ToFloat(data);
  const bytesPerSample = format.bitsPerSample / 8;
  const frameBytes = bytesPerSample * format.channels;
  if (format.channels < 1 || !Number.isInteger(bytesPerSample) || bytesPerSample < 1) throw new Error('unsupported WAV sample layout');
  const read = sampleReader(format.audioFormat, format.bitsPerSample);
  const frames = Math.floor(data.length / frameBytes);
  const mono = new Float32Array(frames);
  for (let frame = 0; frame < frames; frame++) {
    let sum = 0;
    for (let channel = 0; channel < format.channels; channel++) sum += read(data, frame * frameBytes + channel * bytesPerSample);
    mono[frame] = sum / format.channels;
  }
  return mono;
}

function sampleReader(audioFormat: number, bits: number): (data: Buffer, at: number) => number {
  if (audioFormat === 3 && bits === 32) return (data, at) => data.readFloatLE(at);
  if (audioFormat !== 1) throw new Error(`unsupported WAV encoding ${audioFormat} (only PCM and IEEE float)`);
  switch (bits) {
    case 8:
      return (data, at) => (data.readUInt8(at) - 128) / 128;
    case 16:
      return (data, at) => data.readInt16LE(at) / 0x8000;
    case 24:
      return (data, at) => data.readIntLE(at, 3) / 0x800000;
    case 32:
      return (data, at) => data.readInt32LE(at) / 0x80000000;
    default:
      throw new Error(`unsupported WAV bit depth ${bits}`);
  }
}

/**
 * A whole WAV file with its RIFF and data sizes set: a file written while streaming carries
 * placeholder sizes ("until the end of the stream"), which a file saved or sent whole must not.
 */
export function withExactWavSizes(bytes: Buffer): Buffer {
  const layout = readWavLayout(bytes);
  if (layout === 'incomplete' || layout.dataBytes !== undefined) return bytes;
  bytes.writeUInt32LE(Math.min(0xffffffff, bytes.length - 8), 4);
  bytes.writeUInt32LE(bytes.length - layout.dataStart, layout.dataStart - 4);
  return bytes;
}

/** How a WAV file's layout is described to the pipeline (pass-through needs 16-bit integer samples). */
export function wavDescriptor(format: WavSampleFormat): AudioDescriptor {
  return {
    format: 'wav',
    sampleRate: format.sampleRate,
    channels: format.channels,
    pcm16: format.audioFormat === 1 && format.bitsPerSample === 16,
  };
}
