import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioEncoder, encodeAudio } from '../../../src/audio/audio-encoder';
import { AUDIO_FORMATS, AudioFormat, contentTypeFor, isAudioFormat } from '../../../src/audio/audio-format';
import { availableFormats, locateFfmpeg } from '../../../src/audio/ffmpeg';
import { decodeWav } from '../../../src/audio/wav';
import { TtsError } from '../../../src/common/tts-error';
import { decodeToPcm, dominantFrequency, ffmpegChildren, probeAudio, sine } from './audio-probe';

const SECONDS = 1.5;
const TONE = 440;

/** What ffprobe must report for each format: codec, container (ffprobe's demuxer name). */
const EXPECTED: Record<AudioFormat, { codec: string; container: string; contentType: string }> = {
  wav: { codec: 'pcm_s16le', container: 'wav', contentType: 'audio/wav' },
  pcm: { codec: 'pcm_s16le', container: 's16le', contentType: 'audio/pcm;rate=' },
  mp3: { codec: 'mp3', container: 'mp3', contentType: 'audio/mpeg' },
  opus: { codec: 'opus', container: 'ogg', contentType: 'audio/ogg; codecs=opus' },
  aac: { codec: 'aac', container: 'aac', contentType: 'audio/aac' },
  flac: { codec: 'flac', container: 'flac', contentType: 'audio/flac' },
};

async function expectTtsError(promise: Promise<unknown>, code: string): Promise<TtsError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(TtsError);
  expect((error as TtsError).code).toBe(code);
  return error as TtsError;
}

describe('audio formats', () => {
  it('knows the six formats and their content types', () => {
    expect([...AUDIO_FORMATS].sort()).toEqual(['aac', 'flac', 'mp3', 'opus', 'pcm', 'wav']);
    expect(isAudioFormat('mp3')).toBe(true);
    expect(isAudioFormat('ogg')).toBe(false);
    expect(isAudioFormat('toString')).toBe(false);
    expect(contentTypeFor('pcm', 24000)).toBe('audio/pcm;rate=24000');
  });

  it('AudioEncoder resolves through Nest without any configuration', async () => {
    @Module({ providers: [AudioEncoder] })
    class EncoderOnlyModule {}
    const context = await NestFactory.createApplicationContext(EncoderOnlyModule, { logger: false });
    try {
      const sut = context.get(AudioEncoder);

      await expect(sut.assertAvailable('mp3', 'format')).resolves.toBeUndefined();
    } finally {
      await context.close();
    }
  });

  it('finds the npm-installed ffmpeg and proves every encoder works', async () => {
    expect(locateFfmpeg()).toBeDefined();
    expect([...(await availableFormats())].sort()).toEqual(['aac', 'flac', 'mp3', 'opus', 'pcm', 'wav']);
  });
});

describe.each([16000, 22050])('encodeAudio: a %i Hz voice', (sampleRate) => {
  const samples = sine(TONE, SECONDS, sampleRate);

  it.each([...AUDIO_FORMATS])('%s decodes with ffprobe as mono, the right codec, container and duration', async (format) => {
    const sut = await encodeAudio(samples, sampleRate, format);
    const expected = EXPECTED[format];
    const rawInput = format === 'pcm' ? ['-f', 's16le', '-ar', String(sampleRate), '-ac', '1'] : [];

    const probed = await probeAudio(sut.bytes, sut.extension, rawInput);

    expect(probed.codecName).toBe(expected.codec);
    expect(probed.formatName).toBe(expected.container);
    expect(probed.channels).toBe(1);
    expect(sut.contentType.startsWith(expected.contentType)).toBe(true);
    expect(Math.abs(probed.durationSeconds - SECONDS)).toBeLessThanOrEqual(0.1);
    expect(sut.durationSeconds).toBeCloseTo(SECONDS, 6);
    // The result names the encoded rate (aac and opus may differ from the voice's); Opus decoders always report 48 kHz.
    expect(probed.sampleRate).toBe(format === 'opus' ? 48000 : sut.sampleRate);
    const decoded = await decodeToPcm(sut.bytes, sut.extension, 16000, rawInput);
    expect(Math.abs(dominantFrequency(decoded, 16000) - TONE)).toBeLessThan(5);
  });

  it('pcm is exactly two bytes per sample, little-endian, no header', async () => {
    const sut = await encodeAudio(samples, sampleRate, 'pcm');

    expect(sut.bytes.length).toBe(samples.length * 2);
    expect(sut.contentType).toBe(`audio/pcm;rate=${sampleRate}`);
    expect(sut.bytes.readInt16LE(2 * 10)).toBe(Math.round(samples[10] * 0x7fff));
  });

  it('wav has a 44-byte header with the exact sizes and rate', async () => {
    const sut = await encodeAudio(samples, sampleRate, 'wav');

    expect(sut.bytes.toString('ascii', 0, 4)).toBe('RIFF');
    expect(sut.bytes.readUInt32LE(24)).toBe(sampleRate);
    expect(sut.bytes.readUInt16LE(22)).toBe(1);
    expect(sut.bytes.readUInt32LE(40)).toBe(samples.length * 2);
    expect(sut.bytes.length).toBe(44 + samples.length * 2);
    expect(decodeWav(sut.bytes).samples.length).toBe(samples.length);
  });

  it('opus runs at a rate Opus supports', async () => {
    const sut = await encodeAudio(samples, sampleRate, 'opus');

    expect(sut.sampleRate).toBe(sampleRate === 16000 ? 16000 : 24000);
  });
});

describe('encodeAudio failures', () => {
  const samples = sine(TONE, 0.5, 16000);
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sauti-fake-ffmpeg-'));
  });

  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function fakeFfmpeg(name: string, script: string, mode = 0o755): Promise<string> {
    const path = join(directory, name);
    await writeFile(path, `#!/bin/sh\n${script}\n`);
    await chmod(path, mode);
    return path;
  }

  it('a missing ffmpeg makes the encoded formats unavailable, never wav and pcm', async () => {
    const location = { ffmpegPath: join(directory, 'no-such-ffmpeg') };

    for (const format of ['mp3', 'opus', 'aac', 'flac'] as const)
      await expectTtsError(encodeAudio(samples, 16000, format, location), 'format_unavailable');
    expect((await encodeAudio(samples, 16000, 'wav', location)).bytes.length).toBe(44 + samples.length * 2);
    expect([...(await availableFormats(location))].sort()).toEqual(['pcm', 'wav']);
  });

  it('a binary that is not executable counts as missing', async () => {
    const ffmpegPath = await fakeFfmpeg('not-executable', 'exit 0', 0o644);

    await expectTtsError(encodeAudio(samples, 16000, 'mp3', { ffmpegPath }), 'format_unavailable');
  });

  it('the service names the client field when a format is unavailable', async () => {
    const sut = new AudioEncoder({ ffmpegPath: join(directory, 'no-such-ffmpeg') });

    const error = await expectTtsError(sut.assertAvailable('opus', 'response_format'), 'format_unavailable');
    expect(error.field).toBe('response_format');
    await expect(sut.assertAvailable('pcm', 'response_format')).resolves.toBeUndefined();
    await expectTtsError(sut.encode(samples, 16000, 'aac'), 'format_unavailable');
  });

  it('an ffmpeg build without the encoder is format_unavailable', async () => {
    const ffmpegPath = await fakeFfmpeg('no-lame', `echo "Unknown encoder 'libmp3lame'" >&2; exit 1`);

    await expectTtsError(encodeAudio(samples, 16000, 'mp3', { ffmpegPath }), 'format_unavailable');
  });

  it("carries ffmpeg's stderr into the error when it fails", async () => {
    const ffmpegPath = await fakeFfmpeg('broken', 'cat >/dev/null; echo "boom: the encoder broke" >&2; exit 3');

    const error = await expectTtsError(encodeAudio(samples, 16000, 'mp3', { ffmpegPath }), 'internal');
    expect(error.message).toContain('boom: the encoder broke');
    expect(error.message).toContain('code 3');
  });

  it('kills an ffmpeg that hangs and leaves no process behind', async () => {
    const ffmpegPath = await fakeFfmpeg('hangs', 'exec sleep 30');
    const started = Date.now();

    const error = await expectTtsError(encodeAudio(samples, 16000, 'mp3', { ffmpegPath, timeoutMs: 300 }), 'internal');

    expect(error.message).toContain('300 ms');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(ffmpegChildren()).toEqual([]);
  });

  it('leaves no child processes after many encodes, successful or not', async () => {
    const broken = await fakeFfmpeg('fails-fast', 'exit 1');
    const runs = AUDIO_FORMATS.flatMap((format) => [
      encodeAudio(samples, 16000, format),
      encodeAudio(samples, 16000, format, { ffmpegPath: broken }).catch(() => undefined),
    ]);

    await Promise.all(runs);

    expect(ffmpegChildren()).toEqual([]);
  });
});
