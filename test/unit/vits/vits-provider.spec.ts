import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { decodeWav, encodeWav } from '../../../src/audio/wav';
import { TtsError } from '../../../src/common/tts-error';
import { AppConfig } from '../../../src/config/app-config';
import { HealthRegistry } from '../../../src/health/health-registry';
import { DEFAULT_VOICE_SETTINGS, VoiceSettings } from '../../../src/common/voice-settings';
import type { ProviderRequest } from '../../../src/providers/tts-provider';
import { providerSamples, ProviderSamples } from '../../support/provider-audio';
import { VitsProvider } from '../../../src/providers/vits/vits.provider';

// The provider runs inference in worker threads from dist/: `npm run build` before these tests.
const run = promisify(execFile);
const SENTENCE = 'Habari za asubuhi, rafiki yangu. Unafanya kazi vizuri sana leo.';

function rms(samples: Float32Array): number {
  let sum = 0;
  for (const value of samples) sum += value * value;
  return Math.sqrt(sum / samples.length);
}

describe('VitsProvider with the generated test voice', () => {
  let config: AppConfig;
  let sut: VitsProvider;
  let registry: HealthRegistry;

  const say = (
    text: string,
    settings: Partial<VoiceSettings> = {},
    signal = new AbortController().signal,
    voice = 'sauti-test-v1',
  ): Promise<ProviderSamples> => {
    const request: ProviderRequest = {
      text,
      voice,
      settings: { ...DEFAULT_VOICE_SETTINGS, ...settings },
      output: { format: 'pcm', sampleRate: 16000 },
    };
    return providerSamples(sut.synthesize(request, { signal, timeoutMs: 30_000, requestId: 'test' }));
  };

  beforeAll(() => {
    config = AppConfig.load({ ...process.env, VOICES_DIR: '/nonexistent/voices' });
    registry = new HealthRegistry();
    sut = new VitsProvider(config, registry);
    sut.onModuleInit();
  });
  afterAll(() => sut.close());

  it('gives non-silent audio at the voice rate that encodes to a valid WAV', async () => {
    const audio = await say(SENTENCE);
    expect(audio.sampleRate).toBe(16000);
    expect(audio.samples.length).toBeGreaterThan(16000);
    expect(rms(audio.samples)).toBeGreaterThan(0.05);
    // One chunk per sentence, as soon as each is inferred: the first can be sent while the second is synthesized.
    expect(audio.chunks).toHaveLength(2);

    const wav = encodeWav(audio.samples, audio.sampleRate);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt16LE(20)).toBe(1); // PCM
    expect(wav.readUInt16LE(22)).toBe(1); // mono
    expect(wav.readUInt32LE(24)).toBe(16000);
    expect(wav.readUInt16LE(34)).toBe(16);
    expect(wav.readUInt32LE(40)).toBe(audio.samples.length * 2);
    expect(decodeWav(wav).samples.length).toBe(audio.samples.length);
  });

  it('is deterministic, grows with the text and shrinks as speaking_rate rises', async () => {
    const short = await say('Habari.');
    const again = await say('Habari.');
    const long = await say(SENTENCE);
    expect(Buffer.from(again.samples.buffer).equals(Buffer.from(short.samples.buffer))).toBe(true);
    expect(long.samples.length).toBeGreaterThan(short.samples.length * 3);

    const slow = await say(SENTENCE, { speakingRate: 0.5 });
    const fast = await say(SENTENCE, { speakingRate: 2 });
    expect(slow.samples.length).toBeGreaterThan(long.samples.length * 1.5);
    expect(fast.samples.length).toBeLessThan(long.samples.length * 0.75);
  });

  it('spells numbers out before phonemizing them', async () => {
    const digits = await say('Nina miaka 22.');
    const words = await say('Nina miaka ishirini na mbili.');
    expect(digits.samples.length).toBe(words.samples.length);
  });

  it('keeps the event loop responsive while 4 syntheses run', async () => {
    const probe = path.resolve(__dirname, '../../../dist/test/fixtures/vits-event-loop.probe.js');
    const { stdout } = await run(process.execPath, [probe], { timeout: 60_000 });
    const { busyP99Ms, idleP99Ms } = JSON.parse(stdout) as { busyP99Ms: number; idleP99Ms: number };
    // Inference on the main thread would block it for whole sentences; in worker threads it stays near idle
    // (the floor: one slow scheduling slice on a loaded machine).
    expect(busyP99Ms).toBeLessThan(Math.max(50, 4 * idleP99Ms));
  });

  it('completes 8 simultaneous syntheses', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => say(`Sentensi namba ${i + 1}. ${SENTENCE}`)));
    for (const audio of results) expect(rms(audio.samples)).toBeGreaterThan(0.05);
  });

  it('does not keep growing in memory over 200 syntheses of varied length', async () => {
    const texts = Array.from({ length: 200 }, (_, i) => Array.from({ length: 1 + (i % 4) }, () => SENTENCE).join(' '));
    const runAll = async (batch: string[]) => {
      for (let i = 0; i < batch.length; i += 4) await Promise.all(batch.slice(i, i + 4).map((text) => say(text)));
    };
    await runAll(texts.slice(0, 40));
    const warm = process.memoryUsage().rss;
    await runAll(texts);
    const growthMb = (process.memoryUsage().rss - warm) / 2 ** 20;
    expect(growthMb).toBeLessThan(150);
  }, 180_000);

  it('stops at once when the signal is aborted', async () => {
    const controller = new AbortController();
    const pending = say(Array.from({ length: 20 }, () => SENTENCE).join(' '), {}, controller.signal);
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'provider_unavailable' });
    await expect(say(SENTENCE, {}, AbortSignal.abort(new DOMException('late', 'TimeoutError')))).rejects.toMatchObject({
      code: 'provider_timeout',
    });
  });

  it('rejects invalid settings, unknown voices, and voices whose files are missing', async () => {
    await expect(say(SENTENCE, { speakingRate: Number.NaN })).rejects.toMatchObject({
      code: 'invalid_request',
      field: 'voice_settings.speaking_rate',
    });
    await expect(say(SENTENCE, {}, undefined, 'no-such-voice')).rejects.toMatchObject({ code: 'unknown_voice' });
    const missing = await say(SENTENCE, {}, undefined, 'sauti-swahili-v1').catch((error: TtsError) => error);
    expect(missing).toMatchObject({ code: 'provider_unavailable' });
    expect((missing as TtsError).message).toContain('npm run cli -- voices install sauti-swahili-v1');
    await expect(say('... ?!')).rejects.toMatchObject({ code: 'invalid_request', field: 'text' });
  });

  it('reports missing voices as unavailable with the install command: degraded, not down', async () => {
    expect(sut.supports('sauti-swahili-v1')).toBe(true);
    expect(sut.capabilities().voices).toEqual(['sauti-test-v1']);
    const health = await sut.checkHealth();
    expect(health.status).toBe('degraded');
    expect(health.voices?.['sauti-test-v1']).toEqual({ available: true, testVoice: true });
    expect(health.voices?.['sauti-swahili-v1']).toMatchObject({ available: false, testVoice: false });
    expect(health.voices?.['sauti-swahili-v1'].reason).toContain('npm run cli -- voices install sauti-swahili-v1');

    const check = registry.all().find((c) => c.key === 'voices');
    expect(check?.critical).toBe(false);
    await expect(check?.check()).resolves.toMatchObject({ status: 'degraded' });
  });
});
