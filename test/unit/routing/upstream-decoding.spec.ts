import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AudioPipeline } from '../../../src/audio/audio-pipeline';
import type { AudioFormat } from '../../../src/audio/audio-format';
import { collectBytes } from '../../../src/audio/audio-stream';
import { decodeWav, encodeWav, floatToPcm16, readWavLayout, wavHeader } from '../../../src/audio/wav';
import { configFor, routedSamples, RoutingContext, startRoutingContext, writeConfigDir } from '../../fakes/routing-fixture';
import { ScriptableUpstream, toneSamples } from '../../fakes/scriptable-upstream';
import { ffmpegChildren } from '../audio/audio-probe';
import { failure, routeRequest } from './routing-test-config';

/** Upstreams that send compressed audio: asked for it (nothing else offered) or sending it unasked. */
function files(fake: ScriptableUpstream, http: Record<string, number> = {}) {
  const upstream = { base_url: fake.url, timeout_ms: 5000, default_voice: 'alloy' };
  return {
    'providers.yaml': {
      providers: [
        { id: 'vits', kind: 'vits' },
        { id: 'espeak', kind: 'espeak' },
        { id: 'mp3only', kind: 'openai-compatible', ...upstream, response_format: 'mp3', native_formats: ['mp3'] },
        { id: 'opusonly', kind: 'openai-compatible', ...upstream, response_format: 'opus', native_formats: ['opus'] },
        { id: 'wavasked', kind: 'openai-compatible', ...upstream, response_format: 'wav' },
        { id: 'pcmasked', kind: 'openai-compatible', ...upstream, response_format: 'pcm', pcm_sample_rate: 24000 },
        { id: 'elevenmp3', kind: 'elevenlabs-compatible', ...upstream, response_format: 'mp3', native_formats: ['mp3'] },
        { id: 'backup', kind: 'openai-compatible', ...upstream, response_format: 'pcm', pcm_sample_rate: 16000 },
      ],
      retry: { max_retries: 2, base_delay_ms: 10, max_delay_ms: 40, max_retry_after_ms: 2000 },
      http,
    },
    'routes.yaml': {
      voices: [
        {
          id: 'compressed-first',
          name: 'mp3 upstream, then a PCM one',
          language: 'en',
          sample_rate: 16000,
          chain: [
            { provider: 'mp3only', voice: 'alloy' },
            { provider: 'backup', voice: 'alloy' },
          ],
        },
        {
          id: 'unasked-first',
          name: 'wav upstream answering mp3, then a PCM one',
          language: 'en',
          sample_rate: 16000,
          chain: [
            { provider: 'wavasked', voice: 'alloy' },
            { provider: 'backup', voice: 'alloy' },
          ],
        },
        {
          id: 'hurried',
          name: 'mp3 upstream with a short budget, then a PCM one',
          language: 'en',
          sample_rate: 16000,
          chain: [
            { provider: 'mp3only', voice: 'alloy', timeout_ms: 300 },
            { provider: 'backup', voice: 'alloy' },
          ],
        },
      ],
      models: [],
      implicit_sample_rate: 16000,
    },
  };
}

const request = (route: string) => routeRequest(route);

const tone = (seconds: number, sampleRate: number) => toneSamples(seconds, sampleRate, 300, 0.4);

/** A whole file of `format` from samples, as our own encoders write it. */
async function encoded(samples: Float32Array, sampleRate: number, format: AudioFormat): Promise<Buffer> {
  const pipeline = new AudioPipeline();
  try {
    return (await pipeline.encode(samples, sampleRate, { format, sampleRate })).bytes;
  } finally {
    pipeline.close();
  }
}

/** Waits until only the processes the pipeline started ahead (idle, by design) are left: nothing in use lingers. */
async function onlyReadyFfmpeg(sut: RoutingContext): Promise<void> {
  const ready = () => sut.app.get(AudioPipeline).processesReady();
  for (let waited = 0; ffmpegChildren().length !== ready() && waited < 2000; waited += 50)
    await new Promise((resolve) => setTimeout(resolve, 50));
  expect(ffmpegChildren()).toHaveLength(ready());
}

/** A WAV of 32-bit float samples (format 3), as some engines write. */
function floatWav(samples: Float32Array, sampleRate: number): Buffer {
  const header = wavHeader(sampleRate, samples.length * 4);
  header.writeUInt16LE(3, 20); // IEEE float
  header.writeUInt32LE(sampleRate * 4, 28);
  header.writeUInt16LE(4, 32);
  header.writeUInt16LE(32, 34);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}

const seconds = (context: { audio: { samples: Float32Array; sampleRate: number } }) =>
  context.audio.samples.length / context.audio.sampleRate;

describe('upstreams that answer compressed audio', () => {
  let fake: ScriptableUpstream;
  let mp3: Buffer;
  let opus: Buffer;

  beforeAll(async () => {
    fake = await ScriptableUpstream.start();
    mp3 = await encoded(tone(0.6, 24000), 24000, 'mp3');
    opus = await encoded(tone(0.6, 24000), 24000, 'opus');
  });
  afterAll(() => fake.close());

  describe('with ffmpeg', () => {
    let sut: RoutingContext;
    beforeEach(async () => {
      fake.reset();
      fake.defaultResponse = { status: 500, body: { error: { message: 'unscripted' } } };
      sut = await startRoutingContext(configFor(writeConfigDir(files(fake))));
    });
    afterEach(() => sut.close());

    it('asks an mp3-only upstream for mp3 and decodes it to the route rate', async () => {
      fake.enqueue({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 });
      const routed = await routedSamples(sut, request('compressed-first'), { requestId: 'd1' });
      expect(routed.provider).toBe('mp3only');
      expect(JSON.parse(fake.requests[0].body.toString())).toMatchObject({ response_format: 'mp3' });
      expect(routed.audio.sampleRate).toBe(16000);
      expect(seconds(routed)).toBeGreaterThanOrEqual(0.59);
      expect(seconds(routed)).toBeLessThan(0.75);
      expect(Math.max(...routed.audio.samples)).toBeGreaterThan(0.3);
    });

    it('decodes opus (Ogg) whatever the Content-Type says', async () => {
      fake.enqueue({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: opus });
      const routed = await routedSamples(sut, request('opusonly/tts-1'), { requestId: 'd2' });
      expect(routed.provider).toBe('opusonly');
      expect(routed.audio.sampleRate).toBe(16000);
      expect(seconds(routed)).toBeGreaterThanOrEqual(0.59);
    });

    it('decodes mp3 sent to a request for wav, and mp3 declared as such to a request for pcm', async () => {
      fake.enqueue(
        { status: 200, headers: { 'content-type': 'audio/wav' }, body: mp3 },
        { status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 },
      );
      const fromWav = await routedSamples(sut, request('wavasked/tts-1'), { requestId: 'd3' });
      const fromPcm = await routedSamples(sut, request('pcmasked/tts-1'), { requestId: 'd4' });
      for (const routed of [fromWav, fromPcm]) {
        expect(seconds(routed)).toBeGreaterThanOrEqual(0.59);
        expect(seconds(routed)).toBeLessThan(0.75);
      }
    });

    it('keeps raw PCM raw even when its first bytes look like an mp3 frame header', async () => {
      // 0xFFFB is also the 16-bit sample -1025: raw PCM has no magic number, so only a declared file is decoded.
      const pcm = Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), floatToPcm16(tone(0.1, 24000))]);
      fake.enqueue({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: pcm });
      const routed = await routedSamples(sut, request('pcmasked/tts-1'), { requestId: 'd5' });
      expect(routed.audio.sampleRate).toBe(16000);
      expect(routed.audio.samples.length).toBe(Math.round(((pcm.length / 2) * 16000) / 24000));
    });

    it('a document answered with 200 (a JSON or HTML error) is the upstream failing, not audio to play', async () => {
      fake.enqueue(
        { status: 200, body: { error: 'quota exceeded' } },
        { status: 200, headers: { 'content-type': 'audio/mpeg' }, body: '<html><body>Service unavailable</body></html>' },
      );
      fake.defaultResponse = { status: 200, body: Buffer.alloc(3200) };
      const pcm = await failure(routedSamples(sut, request('pcmasked/tts-1'), { requestId: 'd5b' }));
      expect(pcm.message).toContain('pcmasked provider_unavailable');
      const fromMp3 = await routedSamples(sut, request('compressed-first'), { requestId: 'd5c' });
      expect(fromMp3.provider).toBe('backup');
      expect(fromMp3.attempts[0].message).toBe('mp3only sent audio that cannot be read: text, not mp3 audio');
    });

    it('re-encodes a WAV of another sample format (float) for a client that asked for wav: never passed through', async () => {
      const samples = tone(0.25, 24000);
      fake.enqueue({ status: 200, headers: { 'content-type': 'audio/wav' }, body: floatWav(samples, 24000) });
      const route = sut.router.resolve(request('wavasked/tts-1'));
      const pipeline = sut.app.get(AudioPipeline);
      const output = { format: 'wav' as const, sampleRate: 24000 };
      const routed = await sut.router.open(route, request('wavasked/tts-1'), {
        requestId: 'd5d',
        signal: new AbortController().signal,
        output,
        convert: (audio, signal) => pipeline.convert(audio, output, signal),
      });
      expect(routed.audio.passedThrough).toBe(false);
      const bytes = await collectBytes(routed.audio.chunks);
      const layout = readWavLayout(bytes);
      expect(layout !== 'incomplete' && [layout.format.audioFormat, layout.format.bitsPerSample]).toEqual([1, 16]);
      const decoded = decodeWav(bytes);
      expect(decoded.samples.length).toBe(samples.length);
      expect(Math.abs(decoded.samples[100] - samples[100])).toBeLessThan(1e-3);
    });

    it('asks an ElevenLabs-compatible upstream for mp3_44100_128 when configured for mp3', async () => {
      const mp3At44k = await encoded(tone(0.5, 44100), 44100, 'mp3');
      fake.enqueue({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3At44k });
      const routed = await routedSamples(sut, request('elevenmp3/eleven_multilingual_v2'), { requestId: 'd6' });
      expect(fake.requests[0].path).toBe('/v1/text-to-speech/alloy?output_format=mp3_44100_128');
      expect(routed.audio.sampleRate).toBe(16000);
      expect(seconds(routed)).toBeGreaterThanOrEqual(0.49);
    });

    it('treats a file ffmpeg cannot read as the upstream failing (no retry), and the next target serves', async () => {
      const broken = Buffer.concat([Buffer.from('ID3\u0004\u0000\u0000\u0000\u0000\u0000\u0000', 'latin1'), Buffer.alloc(4000, 0x5a)]);
      fake.enqueue({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: broken }, { status: 200, body: Buffer.alloc(3200) });
      const routed = await routedSamples(sut, request('compressed-first'), { requestId: 'd7' });
      expect(routed.provider).toBe('backup');
      expect(fake.calls).toBe(2);
      expect(routed.attempts[0]).toMatchObject({ provider: 'mp3only', outcome: 'provider_unavailable', retries: 0 });
      expect(routed.attempts[0].message).toMatch(/^mp3only sent audio that cannot be read: ffmpeg could not decode the mp3 data/);
    });
  });

  describe('bounds on decoding', () => {
    let directory: string;
    let sut: RoutingContext | undefined;
    beforeAll(async () => {
      directory = await mkdtemp(join(tmpdir(), 'sauti-slow-ffmpeg-'));
      await writeFile(join(directory, 'ffmpeg'), '#!/bin/sh\nexec sleep 30\n', { mode: 0o755 });
    });
    beforeEach(() => {
      fake.reset();
      fake.defaultResponse = { status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 };
    });
    afterEach(() => sut?.close());
    afterAll(() => rm(directory, { recursive: true, force: true }));

    it('a decode that outlives the attempt budget is a timeout: ffmpeg is killed and the next target serves', async () => {
      sut = await startRoutingContext(configFor(writeConfigDir(files(fake)), { FFMPEG_PATH: join(directory, 'ffmpeg') }));
      fake.enqueue(
        { status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 },
        { status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 },
        { status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 },
        { status: 200, body: Buffer.alloc(3200) },
      );
      const routed = await routedSamples(sut, request('hurried'), { requestId: 'b1' });
      expect(routed.provider).toBe('backup');
      expect(routed.attempts[0]).toMatchObject({ provider: 'mp3only', outcome: 'provider_timeout', retries: 2 });
      expect(routed.attempts[0].message).toBe('mp3only sent no audio for 300 ms');
      await onlyReadyFfmpeg(sut);
    });

    it('a caller that gives up while ffmpeg decodes stops it at once', async () => {
      sut = await startRoutingContext(configFor(writeConfigDir(files(fake)), { FFMPEG_PATH: join(directory, 'ffmpeg') }));
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 150);
      const started = performance.now();
      const error = await failure(routedSamples(sut, request('compressed-first'), { requestId: 'b2', signal: controller.signal }));
      expect(error.code).toBe('service_unavailable');
      expect(performance.now() - started).toBeLessThan(1000);
      expect(fake.calls).toBe(1);
      await onlyReadyFfmpeg(sut);
    });
  });

  describe('without ffmpeg', () => {
    let sut: RoutingContext;
    beforeEach(async () => {
      fake.reset();
      fake.defaultResponse = { status: 500, body: { error: { message: 'unscripted' } } };
      sut = await startRoutingContext(configFor(writeConfigDir(files(fake)), { FFMPEG_PATH: '/nonexistent/ffmpeg' }));
    });
    afterEach(() => sut.close());

    it('reports an mp3-only upstream down with the reason and skips it without calling it', async () => {
      const report = await sut.health
        .all()
        .find((check) => check.key === 'provider:mp3only')
        ?.check();
      expect(report).toMatchObject({ status: 'down', detail: expect.stringContaining('response_format mp3 needs ffmpeg') });
      fake.enqueue({ status: 200, body: Buffer.alloc(3200) });
      const routed = await routedSamples(sut, request('compressed-first'), { requestId: 'n1' });
      expect(routed.provider).toBe('backup');
      expect(fake.calls).toBe(1);
      expect(routed.attempts[0]).toMatchObject({ provider: 'mp3only', outcome: 'provider_unavailable' });
      expect(routed.attempts[0].message).toContain('needs ffmpeg');
    });

    it('says clearly that an upstream sent mp3 it cannot decode here, and the next target serves', async () => {
      fake.enqueue({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 }, { status: 200, body: Buffer.alloc(3200) });
      const routed = await routedSamples(sut, request('unasked-first'), { requestId: 'n2' });
      expect(routed.provider).toBe('backup');
      expect(routed.attempts[0]).toMatchObject({ provider: 'wavasked', outcome: 'provider_unavailable', retries: 0 });
      expect(routed.attempts[0].message).toBe(
        'wavasked sent audio that cannot be read: decoding mp3 needs ffmpeg, which this deployment does not have. Set FFMPEG_PATH, or configure the provider to answer wav or pcm.',
      );
    });

    it('still reads WAV and PCM answers, which need no ffmpeg', async () => {
      fake.enqueue(
        { status: 200, headers: { 'content-type': 'audio/wav' }, body: encodeWav(tone(0.5, 24000), 24000) },
        { status: 200, body: Buffer.alloc(4800) },
      );
      const fromWav = await routedSamples(sut, request('wavasked/tts-1'), { requestId: 'n4' });
      const fromPcm = await routedSamples(sut, request('pcmasked/tts-1'), { requestId: 'n5' });
      expect([fromWav.provider, seconds(fromWav)]).toEqual(['wavasked', 0.5]);
      expect([fromPcm.provider, seconds(fromPcm)]).toEqual(['pcmasked', 0.1]);
    });

    it('names the missing decoder in all_providers_failed when nothing else can serve', async () => {
      fake.enqueue({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3 });
      const error = await failure(routedSamples(sut, request('wavasked/tts-1'), { requestId: 'n3' }));
      expect(error.code).toBe('all_providers_failed');
      expect((error.details?.attempts as { message: string }[])[0].message).toContain('needs ffmpeg');
    });
  });
});

describe('LAME_LIBRARY: which LAME the pipeline of a process encodes mp3 with', () => {
  let fake: ScriptableUpstream;
  beforeAll(async () => (fake = await ScriptableUpstream.start()));
  afterAll(() => fake.close());

  it.each([
    [{}, /^LAME 3\.\d+ \(libmp3lame\.so\.0\)$/],
    [{ LAME_LIBRARY: 'libmp3lame.so.0' }, /^LAME 3\.\d+ \(libmp3lame\.so\.0\)$/],
    [{ LAME_LIBRARY: 'wasm' }, /^LAME in WebAssembly/],
  ])('%j → %s', async (environment, encoder) => {
    const sut = await startRoutingContext(configFor(writeConfigDir(files(fake)), environment));
    try {
      expect(sut.app.get(AudioPipeline).mp3Encoder()).toMatch(encoder);
    } finally {
      await sut.close();
    }
  });

  it('a library that does not open stops the start, naming the variable', async () => {
    await expect(
      startRoutingContext(configFor(writeConfigDir(files(fake)), { LAME_LIBRARY: '/nonexistent/libmp3lame.so.0' })),
    ).rejects.toThrow('LAME_LIBRARY=/nonexistent/libmp3lame.so.0: no LAME library could be opened there');
  });
});
