import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AUDIO_FORMATS, AudioFormat, audioFormatInfo, contentTypeFor, isAudioFormat } from '../../../src/audio/audio-format';
import { AudioPipeline } from '../../../src/audio/audio-pipeline';
import { AudioStream, collectBytes, OutputSpec } from '../../../src/audio/audio-stream';
import { availableFormats, locateFfmpeg } from '../../../src/audio/ffmpeg';
import { decodeWav, floatToPcm16, readWavLayout, wavHeader } from '../../../src/audio/wav';
import { wholeFile } from '../../../src/audio/whole-file';
import { TtsError } from '../../../src/common/tts-error';
import { rejectionOf } from '../../support/rejection';
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
  ulaw: { codec: 'pcm_mulaw', container: 'mulaw', contentType: 'audio/basic' },
  alaw: { codec: 'pcm_alaw', container: 'alaw', contentType: 'audio/x-alaw-basic' },
};

/** Raw PCM at `sampleRate` in pieces of `pieceSeconds`, each after `delayMs`: an upstream that streams. */
function pcmSource(
  samples: Float32Array,
  sampleRate: number,
  options: { pieceSeconds?: number; delayMs?: number; withLength?: boolean } = {},
) {
  const piece = Math.round((options.pieceSeconds ?? 0.1) * sampleRate);
  const produced: number[] = [];
  async function* chunks(): AsyncGenerator<Buffer> {
    for (let at = 0; at < samples.length; at += piece) {
      if (options.delayMs) await sleep(options.delayMs);
      produced.push(performance.now());
      yield floatToPcm16(samples.subarray(at, at + piece));
    }
  }
  const stream: AudioStream = {
    descriptor: { format: 'pcm', sampleRate, channels: 1 },
    chunks: chunks(),
    ...(options.withLength ? { byteLength: samples.length * 2 } : {}),
  };
  return { stream, produced };
}

async function* pieces(bytes: Buffer, size: number): AsyncGenerator<Buffer> {
  for (let at = 0; at < bytes.length; at += size) yield bytes.subarray(at, at + size);
}

describe('audio formats', () => {
  it('knows the six formats and their content types; only opus, aac and flac need ffmpeg', () => {
    expect([...AUDIO_FORMATS].sort()).toEqual(['aac', 'flac', 'mp3', 'opus', 'pcm', 'wav']);
    expect(isAudioFormat('mp3')).toBe(true);
    expect(isAudioFormat('ogg')).toBe(false);
    expect(isAudioFormat('toString')).toBe(false);
    expect(contentTypeFor('pcm', 24000)).toBe('audio/pcm;rate=24000');
    expect(AUDIO_FORMATS.filter((format) => audioFormatInfo(format).needsFfmpeg).sort()).toEqual(['aac', 'flac', 'opus']);
  });

  it('finds the npm-installed ffmpeg and proves every encoder works', async () => {
    expect(locateFfmpeg()).toBeDefined();
    expect([...(await availableFormats())].sort()).toEqual(['aac', 'flac', 'mp3', 'opus', 'pcm', 'wav']);
  });
});

describe('AudioPipeline', () => {
  let sut: AudioPipeline;
  beforeAll(() => {
    sut = new AudioPipeline();
  });
  afterAll(() => sut.close());

  describe.each([16000, 22050])('encoding a %i Hz voice', (sampleRate) => {
    const samples = sine(TONE, SECONDS, sampleRate);

    it.each([...AUDIO_FORMATS])('%s decodes with ffprobe as mono, the right codec, container, rate and duration', async (format) => {
      const audio = sut.convert(pcmSource(samples, sampleRate).stream, { format, sampleRate });
      // As a file client gets it: a streamed FLAC's sample count, unknown when its header left, is filled in.
      const { bytes } = wholeFile(format, await collectBytes(audio.chunks), audio.descriptor.sampleRate, audio.samplesWritten());
      const expected = EXPECTED[format];
      const extension = audioFormatInfo(format).extension;
      const rawInput = format === 'pcm' ? ['-f', 's16le', '-ar', String(sampleRate), '-ac', '1'] : [];

      const probed = await probeAudio(bytes, extension, rawInput);

      expect(probed.codecName).toBe(expected.codec);
      expect(probed.formatName).toBe(expected.container);
      expect(probed.channels).toBe(1);
      expect(audio.contentType.startsWith(expected.contentType)).toBe(true);
      // Raw PCM at the rate asked is already what the client wants.
      expect(audio.passedThrough).toBe(format === 'pcm');
      expect(Math.abs(probed.durationSeconds - SECONDS)).toBeLessThanOrEqual(0.1);
      if (format !== 'pcm') expect(audio.samplesWritten()).toBe(samples.length * (audio.descriptor.sampleRate / sampleRate));
      // Opus decoders always report 48 kHz; the others run at the encoded rate the stream names.
      expect(probed.sampleRate).toBe(format === 'opus' ? 48000 : audio.descriptor.sampleRate);
      const decoded = await decodeToPcm(bytes, extension, 16000, rawInput);
      expect(Math.abs(dominantFrequency(decoded, 16000) - TONE)).toBeLessThan(5);
    });

    it('opus and aac run at a rate their codec takes', () => {
      expect(sut.outputRate({ format: 'opus', sampleRate })).toBe(sampleRate === 16000 ? 16000 : 24000);
      expect(sut.outputRate({ format: 'aac', sampleRate })).toBe(24000);
    });
  });

  it('pcm is exactly two bytes per sample, little-endian, no header; a known length gives a Content-Length', async () => {
    const samples = sine(TONE, 0.5, 16000);
    const audio = sut.convert(pcmSource(samples, 24000, { withLength: true }).stream, { format: 'pcm', sampleRate: 16000 });
    const bytes = await collectBytes(audio.chunks);

    expect(audio.byteLength).toBe(Math.round(samples.length * (16000 / 24000)) * 2);
    expect(bytes.length).toBe(audio.byteLength);
    expect(audio.contentType).toBe('audio/pcm;rate=16000');
  });

  it('a streamed wav says "until the end" in its header; with the length known up front its sizes are exact', async () => {
    const samples = sine(TONE, 0.5, 22050);
    const open = await collectBytes(sut.convert(pcmSource(samples, 22050).stream, { format: 'wav', sampleRate: 16000 }).chunks);
    const known = sut.convert(pcmSource(samples, 22050, { withLength: true }).stream, { format: 'wav', sampleRate: 16000 });
    const exact = await collectBytes(known.chunks);

    expect(readWavLayout(open)).toMatchObject({ dataStart: 44, dataBytes: undefined });
    expect(readWavLayout(exact)).toMatchObject({ dataStart: 44, dataBytes: exact.length - 44 });
    expect(known.byteLength).toBe(exact.length);
    expect(decodeWav(exact).samples.length).toBe(Math.round(samples.length * (16000 / 22050)));
    expect(exact.readUInt32LE(24)).toBe(16000);
  });

  it.each<[AudioFormat, number]>([
    ['pcm', 24000],
    ['wav', 24000],
    ['mp3', 24000],
    ['opus', 24000],
  ])('passes %s through byte for byte, chunk for chunk, when the source already is what the client asked', async (format, sampleRate) => {
    const file =
      format === 'pcm'
        ? floatToPcm16(sine(TONE, 0.5, sampleRate))
        : (await sut.encode(sine(TONE, 0.5, sampleRate), sampleRate, { format, sampleRate })).bytes;
    const descriptor = { format, sampleRate, channels: 1, ...(format === 'wav' ? { pcm16: true } : {}) };
    const source: AudioStream = { descriptor, chunks: pieces(file, 777), byteLength: file.length };

    const audio = sut.convert(source, { format, sampleRate });

    expect(audio.passedThrough).toBe(true);
    expect(audio.chunks).toBe(source.chunks);
    expect(audio.byteLength).toBe(file.length);
    expect((await collectBytes(audio.chunks)).equals(file)).toBe(true);
  });

  it('does not pass raw pcm or wav through at another rate, a WAV of another sample format, or a compressed file when its exact rate was asked', () => {
    const at = (format: AudioFormat, sampleRate: number): AudioStream => ({
      descriptor: { format, sampleRate, channels: 1 },
      chunks: pieces(Buffer.alloc(0), 1),
    });
    expect(sut.convert(at('pcm', 24000), { format: 'pcm', sampleRate: 16000 }).passedThrough).toBe(false);
    expect(sut.convert(at('wav', 24000), { format: 'wav', sampleRate: 16000 }).passedThrough).toBe(false);
    const float = { ...at('wav', 24000), descriptor: { format: 'wav' as const, sampleRate: 24000, channels: 1, pcm16: false } };
    expect(sut.convert(float, { format: 'wav', sampleRate: 24000 }).passedThrough).toBe(false);
    expect(sut.convert(at('mp3', 44100), { format: 'mp3', sampleRate: 24000 }).passedThrough).toBe(true);
    expect(sut.convert(at('mp3', 44100), { format: 'mp3', sampleRate: 22050, exactRate: true }).passedThrough).toBe(false);
  });

  it.each<OutputSpec>([
    { format: 'pcm', sampleRate: 16000 },
    { format: 'wav', sampleRate: 16000 },
    { format: 'mp3', sampleRate: 24000 },
    { format: 'opus', sampleRate: 24000 },
  ])('transcodes $format as the input flows: the first bytes leave long before the input ends', async (target) => {
    // 1 s of audio in ten pieces, 100 ms apart: a slow upstream.
    const { stream, produced } = pcmSource(sine(TONE, 1, 24000), 24000, { pieceSeconds: 0.1, delayMs: 100 });
    const audio = sut.convert(stream, target);
    let firstAt: number | undefined;
    for await (const chunk of audio.chunks) if (chunk.length > 0) firstAt ??= performance.now();

    expect(produced).toHaveLength(10);
    expect(firstAt).toBeDefined();
    expect(firstAt as number).toBeLessThan(produced[5]);
  });

  it('reads PCM whose chunks split samples, and a WAV whose header spans many chunks, sample for sample', async () => {
    const samples = sine(TONE, 0.3, 24000);
    const pcm = floatToPcm16(samples);
    const wav = Buffer.concat([wavHeader(24000, pcm.length), pcm]);
    const target: OutputSpec = { format: 'pcm', sampleRate: 16000 };
    const whole = await collectBytes(
      sut.convert({ descriptor: { format: 'pcm', sampleRate: 24000, channels: 1 }, chunks: pieces(pcm, pcm.length) }, target).chunks,
    );
    const fromOddPieces = await collectBytes(
      sut.convert({ descriptor: { format: 'pcm', sampleRate: 24000, channels: 1 }, chunks: pieces(pcm, 777) }, target).chunks,
    );
    const fromTinyWavPieces = await collectBytes(
      sut.convert({ descriptor: { format: 'wav', sampleRate: 24000, channels: 1, pcm16: true }, chunks: pieces(wav, 7) }, target).chunks,
    );
    expect(whole.length).toBe(Math.round((samples.length * 16000) / 24000) * 2);
    expect(fromOddPieces.equals(whole)).toBe(true);
    expect(fromTinyWavPieces.equals(whole)).toBe(true);
  });

  it('mp3 keeps the rate asked even at a low bitrate (LAME left alone would lower it)', async () => {
    const mp3 = (await sut.encode(sine(TONE, 0.5, 48000), 48000, { format: 'mp3', sampleRate: 48000, bitrateKbps: 32 })).bytes;
    expect((await probeAudio(mp3, 'mp3')).sampleRate).toBe(48000);
  });

  it('decodes a compressed file to samples at the rate asked, through a started ffmpeg', async () => {
    const mp3 = (await sut.encode(sine(TONE, 1, 24000), 24000, { format: 'mp3', sampleRate: 24000 })).bytes;
    const source: AudioStream = { descriptor: { format: 'mp3', sampleRate: 24000, channels: 1 }, chunks: pieces(mp3, 1000) };

    const wav = await collectBytes(sut.convert(source, { format: 'wav', sampleRate: 16000 }).chunks);

    const decoded = decodeWav(wav);
    expect(decoded.sampleRate).toBe(16000);
    expect(decoded.samples.length / 16000).toBeGreaterThan(0.95);
    expect(decoded.samples.length / 16000).toBeLessThan(1.1);
  });

  it("fails with the input's own error when the input fails halfway, and kills what it started", async () => {
    async function* breaking(): AsyncGenerator<Buffer> {
      yield floatToPcm16(sine(TONE, 0.2, 24000));
      throw new TtsError('provider_unavailable', 'upstream went away');
    }
    const audio = sut.convert(
      { descriptor: { format: 'pcm', sampleRate: 24000, channels: 1 }, chunks: breaking() },
      { format: 'opus', sampleRate: 24000 },
    );

    const error = await rejectionOf(collectBytes(audio.chunks), TtsError);

    expect(error.message).toBe('upstream went away');
    await settledFfmpeg(sut);
  });

  it('a converted stream that is never read holds no ffmpeg', async () => {
    await settledFfmpeg(sut);
    const unread = sut.convert(pcmSource(sine(TONE, 0.2, 24000), 24000).stream, { format: 'opus', sampleRate: 24000 });
    expect(unread.descriptor.format).toBe('opus');
    await sleep(100);
    expect(ffmpegChildren()).toHaveLength(sut.processesReady());
  });
});

/** Waits until only the processes the pipeline started ahead (idle by design) are left. */
async function settledFfmpeg(pipeline: AudioPipeline): Promise<void> {
  for (let waited = 0; ffmpegChildren().length !== pipeline.processesReady() && waited < 2000; waited += 50) await sleep(50);
  expect(ffmpegChildren()).toHaveLength(pipeline.processesReady());
}

describe('AudioPipeline without a working ffmpeg', () => {
  const samples = sine(TONE, 0.5, 16000);
  let directory: string;

  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'sauti-fake-ffmpeg-'));
  });
  afterAll(() => rm(directory, { recursive: true, force: true }));

  async function fakeFfmpeg(name: string, script: string, mode = 0o755): Promise<string> {
    const path = join(directory, name);
    await writeFile(path, `#!/bin/sh\n${script}\n`);
    await chmod(path, mode);
    return path;
  }

  async function encodeWith(ffmpegPath: string, format: AudioFormat, signal?: AbortSignal): Promise<Buffer> {
    const pipeline = new AudioPipeline({ ffmpegPath });
    try {
      return await collectBytes(pipeline.convert(pcmSource(samples, 16000).stream, { format, sampleRate: 16000 }, signal).chunks);
    } finally {
      pipeline.close();
    }
  }

  it('a missing ffmpeg makes opus, aac and flac unavailable, naming the client field; wav, pcm and mp3 still work', async () => {
    const pipeline = new AudioPipeline({ ffmpegPath: join(directory, 'no-such-ffmpeg') });
    try {
      for (const format of ['opus', 'aac', 'flac'] as const) {
        const error = await rejectionOf(pipeline.assertAvailable(format, 'response_format'), TtsError);
        expect([error.code, error.field]).toEqual(['format_unavailable', 'response_format']);
      }
      for (const format of ['wav', 'pcm', 'mp3'] as const) await expect(pipeline.assertAvailable(format)).resolves.toBeUndefined();
      expect(pipeline.canDecodeCompressed()).toBe(false);
      const mp3 = await collectBytes(pipeline.convert(pcmSource(samples, 16000).stream, { format: 'mp3', sampleRate: 16000 }).chunks);
      expect((await probeAudio(mp3, 'mp3')).codecName).toBe('mp3');
    } finally {
      pipeline.close();
    }
  });

  it('a binary that is not executable counts as missing', async () => {
    const ffmpegPath = await fakeFfmpeg('not-executable', 'exit 0', 0o644);
    expect(new AudioPipeline({ ffmpegPath }).canDecodeCompressed()).toBe(false);
  });

  it('an ffmpeg build without the encoder is format_unavailable', async () => {
    const ffmpegPath = await fakeFfmpeg('no-opus', `cat >/dev/null; echo "Unknown encoder 'libopus'" >&2; exit 1`);
    const error = await rejectionOf(encodeWith(ffmpegPath, 'opus'), TtsError);
    expect(error.code).toBe('format_unavailable');
  });

  it("carries ffmpeg's stderr into the error when it fails", async () => {
    const ffmpegPath = await fakeFfmpeg('broken', 'cat >/dev/null; echo "boom: the encoder broke" >&2; exit 3');
    const error = await rejectionOf(encodeWith(ffmpegPath, 'flac'), TtsError);
    expect(error.code).toBe('internal');
    expect(error.message).toContain('boom: the encoder broke');
    expect(error.message).toContain('code 3');
  });

  it('an ffmpeg that exits before reading its input fails with its own status and stderr, without waiting for the input', async () => {
    const ffmpegPath = await fakeFfmpeg('early-exit', 'echo "boom: gave up early" >&2; exit 4');
    const pipeline = new AudioPipeline({ ffmpegPath });
    async function* stalling(): AsyncGenerator<Buffer> {
      // More than a pipe holds (so a write fails with EPIPE), then an input with nothing more to say.
      yield floatToPcm16(sine(TONE, 4, 24000));
      await new Promise(() => undefined);
    }
    try {
      const audio = pipeline.convert(
        { descriptor: { format: 'pcm', sampleRate: 24000, channels: 1 }, chunks: stalling() },
        { format: 'flac', sampleRate: 24000 },
      );
      const error = await rejectionOf(collectBytes(audio.chunks), TtsError);
      expect(error.code).toBe('internal');
      expect(error.message).toContain('boom: gave up early');
      expect(error.message).toContain('code 4');
    } finally {
      pipeline.close();
    }
  });

  it('kills an ffmpeg that hangs when the caller gives up, and leaves none in use behind', async () => {
    const ffmpegPath = await fakeFfmpeg('hangs', 'exec sleep 30');
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('gave up')), 300);
    const started = Date.now();

    await expect(encodeWith(ffmpegPath, 'aac', controller.signal)).rejects.toThrow('gave up');

    expect(Date.now() - started).toBeLessThan(5000);
    for (let waited = 0; ffmpegChildren().length > 0 && waited < 2000; waited += 50) await sleep(50);
    expect(ffmpegChildren()).toEqual([]);
  });
});
