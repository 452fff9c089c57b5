import request from 'supertest';
import { DEFAULT_VOICE_SETTINGS } from '../../src/common/voice-settings';
import { routedSamples } from '../fakes/routing-fixture';
import { SynthesisRouter } from '../../src/synthesis/routing/synthesis.router';
import { VoiceCatalog } from '../../src/synthesis/routing/voice-catalog';
import { startTestApi, TestApi } from '../support/test-api';

describe('routing inside the api process', () => {
  let api: TestApi;

  beforeAll(async () => {
    // Upstream keys unset, VITS voice files absent: the Swahili voice must still be served (by eSpeak).
    api = await startTestApi({ OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '', VOICES_DIR: '/nonexistent/voices' });
  });
  afterAll(() => api.close());

  it('lists each provider and the catalogue in /health/ready without making the service unready', async () => {
    const response = await request(api.baseUrl).get('/health/ready');
    expect(response.status).toBe(200);
    const details = response.body.details;
    expect(details['provider:espeak']).toMatchObject({ status: 'up', state: 'up', breaker: 'closed', kind: 'espeak' });
    expect(details['provider:openai']).toMatchObject({
      status: 'up',
      state: 'down',
      detail: 'environment variable OPENAI_API_KEY is not set',
      critical: false,
    });
    expect(details['provider:vits'].voices['sauti-swahili-v1']).toMatchObject({ available: false });
    expect(details.catalog.voices['sauti-swahili-v1']).toMatchObject({
      available: false,
      servedByFallback: true,
      fallbackProvider: 'espeak',
    });
  });

  it('serves sauti-swahili-v1 with espeak at 16 kHz when the VITS files are missing', async () => {
    const routed = await routedSamples(
      { router: api.app.get(SynthesisRouter), app: api.app },
      {
        text: 'Habari za asubuhi.',
        characters: 18,
        route: 'sauti-swahili-v1',
        fallbacks: [],
        settings: { ...DEFAULT_VOICE_SETTINGS },
        format: 'wav',
      },
      { requestId: 'e2e-1' },
    );
    expect(routed.provider).toBe('espeak');
    expect(routed.audio.sampleRate).toBe(16000);
    expect(api.app.get(VoiceCatalog).get('sauti-swahili-v1')).toMatchObject({
      engine: 'vits',
      available: false,
      servedByFallback: true,
      sampleRate: 16000,
    });
  });

  it('exposes Prometheus metrics with requests labelled by face', async () => {
    await request(api.baseUrl).get('/v1/voices');
    await request(api.baseUrl).get('/health/live');
    const response = await request(api.baseUrl).get('/metrics');
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^text\/plain/);
    expect(response.text).toMatch(/tts_http_requests_total\{face="sauti",method="GET",status="\d+"\} 1/);
    expect(response.text).toContain('tts_http_requests_total{face="other",method="GET",status="200"}');
    expect(response.text).toContain('tts_http_request_duration_seconds_bucket{le="0.001",face="sauti"');
    expect(response.text).toContain('tts_provider_attempts_total{provider="espeak",outcome="ok"} 1');
    expect(response.text).toContain('tts_local_engine_rtf_count{provider="espeak"} 1');
  });
});
