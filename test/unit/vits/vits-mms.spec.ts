import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { plainToInstance } from 'class-transformer';
import { buildTestVoiceModel, testMmsTokens } from '../../../scripts/generate-test-voice';
import type { AppConfig } from '../../../src/config/app-config';
import { VoiceEntry, VoicesConfig } from '../../../src/config/voices.config';
import { voiceFilesOnDisk } from '../../../src/providers/vits/voice-models';
import { DEFAULT_VOICE_SETTINGS, VoiceSettings } from '../../../src/common/voice-settings';
import { providerSamples } from '../../support/provider-audio';
import { VitsProvider, VOICE_FILES_RECHECK_MS } from '../../../src/providers/vits/vits.provider';

// An MMS-format voice in sherpa-onnx's layout (x, x_length, noise_scale, length_scale, noise_scale_w → y),
// generated like sauti-test-v1. Inference runs in worker threads from dist/: `npm run build` first.
describe('VitsProvider with an MMS-format voice', () => {
  let dir: string;
  let sut: VitsProvider;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'sauti-mms-'));
    writeFileSync(join(dir, 'mms-test.onnx'), buildTestVoiceModel('sherpa'));
    writeFileSync(join(dir, 'tokens.txt'), testMmsTokens());
    const voices = plainToInstance(VoicesConfig, {
      voices: [{ id: 'mms-test', format: 'mms', model: 'mms-test.onnx', config: 'tokens.txt', test_voice: true }],
    });
    const config = {
      voices,
      paths: { voicesDir: dir, configDir: 'config' },
      inference: { poolSize: 1, threadsPerWorker: 1 },
    } as unknown as AppConfig;
    sut = new VitsProvider(config);
  });
  afterAll(async () => {
    await sut.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const say = (text: string, settings: Partial<VoiceSettings> = {}) =>
    providerSamples(
      sut.synthesize(
        { text, voice: 'mms-test', settings: { ...DEFAULT_VOICE_SETTINGS, ...settings }, output: { format: 'pcm', sampleRate: 16000 } },
        { signal: new AbortController().signal, timeoutMs: 30_000, requestId: 'test' },
      ),
    );

  it('maps characters with blanks interleaved and synthesizes at 16 kHz', async () => {
    const audio = await say('Habari');
    expect(audio.sampleRate).toBe(16000);
    // "habari" = 6 characters → 13 ids (blank before, between and after) × 400 samples each.
    expect(audio.samples.length).toBe(13 * 400);
  });

  it('picks up replaced model files within VOICE_FILES_RECHECK_MS: new audio from a new session, a new fingerprint', async () => {
    const model = join(dir, 'mms-test.onnx');
    const request = {
      text: 'Habari',
      voice: 'mms-test',
      settings: DEFAULT_VOICE_SETTINGS,
      output: { format: 'pcm' as const, sampleRate: 16000 },
    };
    const start = Date.now();
    const clock = jest.spyOn(Date, 'now');
    // Each step moves the clock past the recheck interval, so the provider looks at the files again.
    const replace = (bytes: Uint8Array, step: number) => {
      writeFileSync(model, bytes);
      utimesSync(model, new Date(), new Date(start + step * 60_000)); // a new mtime even within the same millisecond
      clock.mockReturnValue(start + step * VOICE_FILES_RECHECK_MS);
    };
    try {
      await sut.onModuleInit(); // fingerprints the installed voices
      const before = sut.audioIdentity(request)?.engine;
      expect(before).toMatch(/^vits:[0-9a-f]{64}$/);
      expect((await say('Habari')).samples.length).toBe(13 * 400);

      // A "retrained" model of the same size (the mtime alone tells them apart), written over the old file.
      const retrained = buildTestVoiceModel('sherpa', 200);
      expect(retrained.length).toBe(buildTestVoiceModel('sherpa').length);
      replace(retrained, 1);
      expect((await say('Habari')).samples.length).toBe(13 * 200);
      await sut.onModuleInit();
      const after = sut.audioIdentity(request)?.engine;
      expect(after).toMatch(/^vits:[0-9a-f]{64}$/);
      expect(after).not.toBe(before);

      replace(buildTestVoiceModel('sherpa'), 2);
      expect((await say('Habari')).samples.length).toBe(13 * 400);
    } finally {
      clock.mockRestore();
    }
  });

  it("stamps a voice's model apart from its files, so voices sharing a model share its inference session", () => {
    writeFileSync(join(dir, 'tokens-other.txt'), testMmsTokens());
    utimesSync(join(dir, 'tokens-other.txt'), new Date(), new Date(Date.now() - 60_000));
    const entry = (config: string) => plainToInstance(VoiceEntry, { id: config, format: 'mms', model: 'mms-test.onnx', config });
    const one = voiceFilesOnDisk(entry('tokens.txt'), dir);
    const other = voiceFilesOnDisk(entry('tokens-other.txt'), dir);
    expect(one.modelStamp).toBeDefined();
    expect(one.modelStamp).toBe(other.modelStamp);
    expect(one.configStamp).not.toBe(other.configStamp);
    expect(voiceFilesOnDisk(entry('no-such-tokens.txt'), dir).configStamp).toBeUndefined();
  });

  it('grows with the text, shrinks with speaking_rate, and spells numbers out', async () => {
    const short = await say('Habari');
    const long = await say('Habari za asubuhi rafiki');
    expect(long.samples.length).toBeGreaterThan(short.samples.length * 3);
    expect((await say('Habari za asubuhi rafiki', { speakingRate: 2 })).samples.length).toBe(long.samples.length / 2);
    expect((await say('22')).samples.length).toBe((await say('ishirini na mbili')).samples.length);
  });
});
