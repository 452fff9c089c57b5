import request from 'supertest';
import { encodeWav } from '../../src/audio/wav';
import { DEFAULT_VOICE_SETTINGS } from '../../src/common/voice-settings';
import { routedSamples } from '../fakes/routing-fixture';
import { SynthesisRouter } from '../../src/synthesis/routing/synthesis.router';
import { startTestApi, TestApi } from '../support/test-api';

// The api's VITS pool runs the compiled worker from dist/: `npm run build` first.
describe('the vits provider inside the api process', () => {
  let api: TestApi;

  beforeAll(async () => {
    api = await startTestApi({ VOICES_DIR: '/nonexistent/voices' });
  });
  afterAll(() => api.close());

  it('reports voices in /health/ready: the test voice available, the missing one with its install command, degraded not down', async () => {
    const response = await request(api.baseUrl).get('/health/ready');
    expect(response.status).toBe(200);
    const voices = response.body.details.voices;
    expect(voices).toMatchObject({ state: 'degraded', critical: false });
    expect(voices.voices['sauti-test-v1']).toEqual({ available: true, testVoice: true });
    expect(voices.voices['sauti-swahili-v1']).toMatchObject({ available: false, testVoice: false });
    expect(voices.voices['sauti-swahili-v1'].reason).toContain('npm run cli -- voices install sauti-swahili-v1');
  });

  it('routes sauti-test-v1 to vits and gives a playable WAV', async () => {
    const text = 'Habari za asubuhi. Bei ni TSh 5,000.';
    const routed = await routedSamples(
      { router: api.app.get(SynthesisRouter), app: api.app },
      { text, characters: text.length, route: 'sauti-test-v1', fallbacks: [], settings: { ...DEFAULT_VOICE_SETTINGS }, format: 'wav' },
      { requestId: 'e2e-vits' },
    );
    expect(routed.provider).toBe('vits');
    expect(routed.audio.samples.length).toBeGreaterThan(routed.audio.sampleRate);
    const wav = encodeWav(routed.audio.samples, routed.audio.sampleRate);
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(24)).toBe(routed.audio.sampleRate);
  });
});
