import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { AudioEncoder } from '../../../src/audio/audio-encoder';
import { AudioFormat, audioFormatInfo } from '../../../src/audio/audio-format';
import { EncoderStream, createEncoderStream } from '../../../src/audio/encoder-stream';
import { decodeWav } from '../../../src/audio/wav';
import { TtsError } from '../../../src/common/tts-error';
import { decodeToPcm, dominantFrequency, ffmpegChildren, probeAudio, sine } from './audio-probe';

const SAMPLE_RATE = 16000;
const SECONDS = 1.5;
const EXPECTED_CODEC: Record<AudioFormat, string> = {
  wav: 'pcm_s16le',
  pcm: 'pcm_s16le',
  mp3: 'mp3',
  opus: 'opus',
  aac: 'aac',
  flac: 'flac',
};

/** Everything `output` emits, and a promise of its first chunk, so a test can wait for it before `end()`. */
function collect(output: Readable): { chunks: Buffer[]; first: Promise<Buffer>; ended: Promise<Buffer> } {
  const chunks: Buffer[] = [];
  let markFirst: (chunk: Buffer) => void = () => undefined;
  const first = new Promise<Buffer>((resolve) => (markFirst = resolve));
  output.on('data', (chunk: Buffer) => {
    chunks.push(chunk);
    markFirst(chunk);
  });
  const ended = new Promise<Buffer>((resolve, reject) => {
    output.on('end', () => resolve(Buffer.concat(chunks)));
    output.on('error', reject);
  });
  return { chunks, first, ended };
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>(
    (_, reject) => (timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms)),
  );
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Writes the tone in three sentence-sized chunks, checking that bytes come out before the end. */
async function streamTone(sut: EncoderStream): Promise<Buffer> {
  const tone = sine(440, SECONDS, SAMPLE_RATE);
  const third = tone.length / 3;
  const received = collect(sut.output);

  sut.write(tone.subarray(0, third));
  await within(received.first, 5000, 'the first encoded bytes before end()');
  sut.write(tone.subarray(third, 2 * third));
  sut.write(tone.subarray(2 * third));
  sut.end();

  const [bytes, summary] = await Promise.all([received.ended, sut.done]);
  expect(summary.durationSeconds).toBeCloseTo(SECONDS, 6);
  expect(summary.bytes).toBe(bytes.length);
  return bytes;
}

describe('createEncoderStream', () => {
  afterEach(() => {
    expect(ffmpegChildren()).toEqual([]);
  });

  it.each(['wav', 'mp3'] as const)('%s emits its first bytes before end() and the whole stream decodes', async (format) => {
    const sut = createEncoderStream(SAMPLE_RATE, format);

    const bytes = await streamTone(sut);

    const probed = await probeAudio(bytes, audioFormatInfo(format).extension);
    expect(probed.codecName).toBe(EXPECTED_CODEC[format]);
    expect(probed.channels).toBe(1);
    const decoded = await decodeToPcm(bytes, audioFormatInfo(format).extension, SAMPLE_RATE);
    expect(Math.abs(decoded.length / SAMPLE_RATE - SECONDS)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(dominantFrequency(decoded, SAMPLE_RATE) - 440)).toBeLessThan(5);
  });

  it('wav carries an open-ended header followed by exactly the samples written', async () => {
    const sut = createEncoderStream(SAMPLE_RATE, 'wav');

    const bytes = await streamTone(sut);

    expect(bytes.readUInt32LE(40)).toBe(0xffffffff - 36);
    expect(bytes.length).toBe(44 + SECONDS * SAMPLE_RATE * 2);
    expect(decodeWav(bytes).samples.length).toBe(SECONDS * SAMPLE_RATE);
    expect(sut.contentType).toBe('audio/wav');
  });

  it.each(['opus', 'aac', 'flac', 'pcm'] as const)('%s streams into one decodable file of the right duration', async (format) => {
    const sut = createEncoderStream(SAMPLE_RATE, format);
    const rawInput = format === 'pcm' ? ['-f', 's16le', '-ar', String(SAMPLE_RATE), '-ac', '1'] : [];

    const bytes = await streamTone(sut);

    const probed = await probeAudio(bytes, audioFormatInfo(format).extension, rawInput);
    expect(probed.codecName).toBe(EXPECTED_CODEC[format]);
    expect(probed.channels).toBe(1);
    const decoded = await decodeToPcm(bytes, audioFormatInfo(format).extension, SAMPLE_RATE, rawInput);
    expect(Math.abs(decoded.length / SAMPLE_RATE - SECONDS)).toBeLessThanOrEqual(0.1);
    expect(Math.abs(dominantFrequency(decoded, SAMPLE_RATE) - 440)).toBeLessThan(5);
  });

  it('abort() kills ffmpeg, fails the stream and leaves no process', async () => {
    const sut = createEncoderStream(SAMPLE_RATE, 'mp3');
    const received = collect(sut.output);
    sut.write(sine(440, 0.5, SAMPLE_RATE));

    sut.abort('client disconnected');

    await expect(sut.done).rejects.toThrow('client disconnected');
    await expect(received.ended).rejects.toThrow('client disconnected');
  });

  it('a consumer that goes away stops ffmpeg, and the producer learns on its next write', async () => {
    const sut = createEncoderStream(SAMPLE_RATE, 'aac');
    sut.write(sine(440, 0.5, SAMPLE_RATE));

    sut.output.destroy();

    await expect(sut.done).rejects.toThrow('the consumer closed the encoded output');
    expect(() => sut.write(sine(440, 0.1, SAMPLE_RATE))).toThrow('the consumer closed the encoded output');
  });

  it('an idle stream is killed instead of leaking its ffmpeg', async () => {
    const sut = createEncoderStream(SAMPLE_RATE, 'opus', { idleTimeoutMs: 200 });
    const received = collect(sut.output);
    sut.write(sine(440, 0.2, SAMPLE_RATE));

    await expect(sut.done).rejects.toThrow('received no audio for too long');
    await expect(received.ended).rejects.toThrow('received no audio for too long');
  });

  it('writing after end() is a programming error', async () => {
    const sut = createEncoderStream(SAMPLE_RATE, 'pcm');
    collect(sut.output);
    sut.end();

    expect(() => sut.write(new Float32Array(10))).toThrow(TtsError);
    await expect(sut.done).resolves.toEqual({ durationSeconds: 0, bytes: 0 });
  });

  it('a missing ffmpeg is format_unavailable at creation, before any byte is sent', () => {
    const sut = new AudioEncoder({ ffmpegPath: '/nonexistent/ffmpeg' });

    for (const format of ['mp3', 'opus', 'aac', 'flac'] as const) {
      expect(() => sut.createStream(SAMPLE_RATE, format)).toThrow(expect.objectContaining({ code: 'format_unavailable' }));
    }
    expect(sut.createStream(SAMPLE_RATE, 'wav').contentType).toBe('audio/wav');
  });

  it('an ffmpeg that dies mid-stream fails the stream with its stderr', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'sauti-fake-ffmpeg-'));
    const ffmpegPath = join(directory, 'dies');
    await writeFile(ffmpegPath, '#!/bin/sh\nhead -c 100 >/dev/null; echo "boom: died mid-stream" >&2; exit 2\n', { mode: 0o755 });
    try {
      const sut = createEncoderStream(SAMPLE_RATE, 'mp3', { ffmpegPath });
      const received = collect(sut.output);
      sut.write(sine(440, 0.5, SAMPLE_RATE));

      await expect(sut.done).rejects.toThrow('boom: died mid-stream');
      await expect(received.ended).rejects.toMatchObject({ code: 'internal' });
    } finally {
      await rm(directory, { recursive: true, force: true });
    }
  });
});
