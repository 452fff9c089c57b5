import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  AudioContainer,
  AudioDecodeError,
  AudioDecoder,
  CompressedContainer,
  containerOfMediaType,
  sniffContainer,
} from '../../../src/audio/audio-decoder';
import { encodeAudio } from '../../../src/audio/audio-encoder';
import type { AudioFormat } from '../../../src/audio/audio-format';
import { encodeWav, floatToPcm16 } from '../../../src/audio/wav';
import { toneSamples } from '../../fakes/scriptable-upstream';
import { rejectionOf } from '../../support/rejection';

const RATE = 24000;
const SECONDS = 0.5;

const tone = () => toneSamples(SECONDS, RATE);

/** The dominant frequency, from upward zero crossings over the middle of the signal (codec edges left out). */
function frequencyOf(samples: Float32Array, sampleRate: number): number {
  const from = Math.floor(samples.length * 0.2);
  const to = Math.floor(samples.length * 0.8);
  let crossings = 0;
  for (let i = from + 1; i < to; i++) if (samples[i - 1] < 0 && samples[i] >= 0) crossings++;
  return crossings / ((to - from) / sampleRate);
}

const rejection = (promise: Promise<unknown>) => rejectionOf(promise, AudioDecodeError);

describe('sniffContainer', () => {
  it.each<[AudioFormat, AudioContainer]>([
    ['mp3', 'mp3'],
    ['opus', 'ogg'],
    ['aac', 'aac'],
    ['flac', 'flac'],
  ])('recognises %s from the encoder as %s', async (format, container) => {
    const encoded = await encodeAudio(tone(), RATE, format);
    expect(sniffContainer(encoded.bytes)).toBe(container);
  });

  it('recognises WAV, ID3-tagged mp3, MP4 and Matroska headers', () => {
    expect(sniffContainer(encodeWav(tone(), RATE))).toBe('wav');
    expect(sniffContainer(Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1'))).toBe('mp3');
    expect(sniffContainer(Buffer.from('\u0000\u0000\u0000\u0018ftypM4A ', 'latin1'))).toBe('mp4');
    expect(sniffContainer(Buffer.from([0x1a, 0x45, 0xdf, 0xa3, 0x01, 0x00]))).toBe('webm');
  });

  it('finds nothing in raw PCM or in too few bytes', () => {
    expect(sniffContainer(floatToPcm16(tone()))).toBeUndefined();
    // Samples of -1 are FF FF: a frame sync, but with a "bad" bitrate index, so not an mp3 header.
    expect(sniffContainer(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x00, 0x00]))).toBeUndefined();
    expect(sniffContainer(Buffer.from([0xff, 0xfb, 0xf0, 0x00, 0x00, 0x00]))).toBeUndefined();
    expect(sniffContainer(Buffer.from([0xff, 0xfb, 0x90, 0x64]))).toBe('mp3');
    expect(sniffContainer(Buffer.alloc(4800))).toBeUndefined();
    expect(sniffContainer(Buffer.from('ID'))).toBeUndefined();
  });
});

describe('containerOfMediaType', () => {
  it('maps audio media types, ignoring parameters and case, and nothing else', () => {
    expect(containerOfMediaType('audio/mpeg')).toBe('mp3');
    expect(containerOfMediaType('Audio/Ogg; codecs=opus')).toBe('ogg');
    expect(containerOfMediaType('audio/x-wav')).toBe('wav');
    expect(containerOfMediaType('audio/flac')).toBe('flac');
    expect(containerOfMediaType('audio/pcm;rate=24000')).toBeUndefined();
    expect(containerOfMediaType('application/octet-stream')).toBeUndefined();
    expect(containerOfMediaType(undefined)).toBeUndefined();
  });
});

describe('AudioDecoder', () => {
  let directory: string;
  const sut = new AudioDecoder();

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sauti-decoder-'));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  it.each<[AudioFormat, CompressedContainer, number]>([
    ['mp3', 'mp3', 24000],
    ['opus', 'ogg', 48000],
    ['aac', 'aac', 24000],
    ['flac', 'flac', 24000],
  ])('decodes %s with ffmpeg to mono float samples at the stream rate, the tone intact', async (format, container, expectedRate) => {
    const encoded = await encodeAudio(tone(), RATE, format);
    const decoded = await sut.decode(encoded.bytes, container, { timeoutMs: 10000 });
    expect(decoded.sampleRate).toBe(expectedRate);
    // Codecs add priming and padding (tens of ms), never lose the speech.
    expect(decoded.samples.length / decoded.sampleRate).toBeGreaterThanOrEqual(SECONDS - 0.01);
    expect(decoded.samples.length / decoded.sampleRate).toBeLessThan(SECONDS + 0.15);
    expect(frequencyOf(decoded.samples, decoded.sampleRate)).toBeGreaterThan(430);
    expect(frequencyOf(decoded.samples, decoded.sampleRate)).toBeLessThan(450);
  });

  it('says that ffmpeg is missing, and knows it up front', async () => {
    const decoder = new AudioDecoder({ ffmpegPath: join(directory, 'no-such-ffmpeg') });
    expect(decoder.canDecodeCompressed()).toBe(false);
    expect(sut.canDecodeCompressed()).toBe(true);
    const encoded = await encodeAudio(tone(), RATE, 'mp3');
    const error = await rejection(decoder.decode(encoded.bytes, 'mp3', { timeoutMs: 1000 }));
    expect(error.reason).toBe('no_decoder');
    expect(error.message).toBe('decoding mp3 needs ffmpeg, which this deployment does not have');
  });

  it('reports a file ffmpeg cannot read as unreadable, with what ffmpeg said', async () => {
    const garbage = Buffer.concat([Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1'), Buffer.alloc(2000, 0x5a)]);
    const error = await rejection(sut.decode(garbage, 'mp3', { timeoutMs: 10000 }));
    expect(error.reason).toBe('unreadable');
    expect(error.message).toMatch(/^ffmpeg (could not decode the mp3 data|found no audio in the mp3 data)/);
  });

  it('kills ffmpeg when the caller cancels, and when its time runs out', async () => {
    const slow = join(directory, 'slow-ffmpeg');
    await writeFile(slow, '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    const decoder = new AudioDecoder({ ffmpegPath: slow });
    const controller = new AbortController();
    const started = performance.now();
    setTimeout(() => controller.abort(), 100);
    const cancelled = await rejection(decoder.decode(Buffer.from('OggS....'), 'ogg', { timeoutMs: 20000, signal: controller.signal }));
    expect(cancelled.reason).toBe('aborted');
    const timedOut = await rejection(decoder.decode(Buffer.from('OggS....'), 'ogg', { timeoutMs: 150 }));
    expect(timedOut.reason).toBe('timed_out');
    expect(timedOut.message).toContain('did not finish within 150 ms');
    expect(performance.now() - started).toBeLessThan(5000);
  });
});
