import request from 'supertest';
import { decodeWav } from '../../src/audio/wav';
import { writeConfigDir } from '../fakes/routing-fixture';
import { ScriptableUpstream, toneWav } from '../fakes/scriptable-upstream';
import { startTestApi, TestApi } from '../support/test-api';

/** Routing seen through the Sauti face: who served (x-tts-provider), fallbacks, and upstream errors in the face's envelope. */
describe('routing through the Sauti face', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let apiKey: string;

  beforeAll(async () => {
    upstream = await ScriptableUpstream.start();
    const dir = writeConfigDir({
      'providers.yaml': {
        providers: [
          { id: 'vits', kind: 'vits' },
          { id: 'espeak', kind: 'espeak' },
          {
            id: 'upstream',
            kind: 'openai-compatible',
            base_url: upstream.url,
            response_format: 'wav',
            default_voice: 'alloy',
            timeout_ms: 2000,
          },
        ],
        retry: { max_retries: 1, base_delay_ms: 10, max_delay_ms: 20, max_retry_after_ms: 1000 },
      },
      'routes.yaml': {
        voices: [
          {
            id: 'sauti-swahili-v1',
            name: 'Sauti Swahili',
            language: 'sw',
            sample_rate: 16000,
            chain: [
              { provider: 'vits', voice: 'sauti-swahili-v1' },
              { provider: 'espeak', voice: 'sw' },
            ],
          },
          {
            id: 'upstream-voice',
            name: 'Upstream',
            language: 'en',
            sample_rate: 16000,
            chain: [{ provider: 'upstream', voice: 'alloy', model: 'tts-1' }],
          },
        ],
      },
    });
    // VITS voice files absent: the Swahili voice must be spoken by eSpeak.
    api = await startTestApi({ CONFIG_DIR: dir, VOICES_DIR: '/nonexistent/voices' });
    apiKey = (await api.createTenant(100_000)).apiKey;
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  it('serves sauti-swahili-v1 with espeak when the VITS files are missing: x-tts-provider: espeak, 16 kHz WAV', async () => {
    const response = await request(api.baseUrl)
      .post('/v1/text-to-speech/sauti-swahili-v1')
      .set('xi-api-key', apiKey)
      .send({ text: 'Habari za asubuhi.' });
    expect(response.status).toBe(200);
    expect(response.headers['x-tts-provider']).toBe('espeak');
    const wav = decodeWav(Buffer.from(response.body.audio_base64, 'base64'));
    expect(wav.sampleRate).toBe(16000);
    const health = await request(api.baseUrl).get('/health/ready');
    expect(health.body.details.voices.voices['sauti-swahili-v1']).toMatchObject({ available: false });
  });

  it('names the upstream provider that served, and passes an upstream 400 message to the client', async () => {
    upstream.enqueue({ status: 200, body: toneWav(0.2, 24000) });
    const served = await request(api.baseUrl)
      .post('/v1/text-to-speech/upstream-voice')
      .set('xi-api-key', apiKey)
      .send({ text: 'Hello there.' });
    expect(served.status).toBe(200);
    expect(served.headers['x-tts-provider']).toBe('upstream');

    upstream.enqueue({ status: 400, body: { error: { message: 'Input contains a forbidden phrase' } } });
    const rejected = await request(api.baseUrl)
      .post('/v1/text-to-speech/upstream-voice')
      .set('xi-api-key', apiKey)
      .send({ text: 'Hello again.' });
    expect(rejected.status).toBeGreaterThanOrEqual(400);
    expect(rejected.status).toBeLessThan(500);
    expect(JSON.stringify(rejected.body)).toContain('Input contains a forbidden phrase');
  });
});
