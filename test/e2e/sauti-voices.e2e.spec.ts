import request from 'supertest';
import { startTestApi, TestApi } from '../support/test-api';
import { expectProblem } from './sauti-e2e.helpers';

const PUBLIC_BASE_URL = 'https://sauti.example.test';

describe('Sauti face: voices and the OpenAPI document', () => {
  let api: TestApi;
  let key: string;

  beforeAll(async () => {
    api = await startTestApi({ PUBLIC_BASE_URL });
    ({ apiKey: key } = await api.createTenant(100));
  });
  afterAll(() => api.close());

  it('GET /v1/voices lists the catalogue with rate, engine, availability and fallback', async () => {
    const response = await request(api.baseUrl).get('/v1/voices').set('xi-api-key', key);
    expect(response.status).toBe(200);
    const ids = response.body.voices.map((voice: { voice_id: string }) => voice.voice_id);
    expect(ids).toEqual(expect.arrayContaining(['sauti-swahili-v1', 'sauti-test-v1']));
    const test = response.body.voices.find((voice: { voice_id: string }) => voice.voice_id === 'sauti-test-v1');
    expect(test).toEqual({
      voice_id: 'sauti-test-v1',
      name: 'Sauti Test (fixture voice)',
      language: 'sw',
      sample_rate: 16000,
      engine: 'vits',
      available: true,
      served_by_fallback: false,
      test_voice: true,
      ...(test.model_sample_rate !== undefined ? { model_sample_rate: test.model_sample_rate } : {}),
    });
    if (test.model_sample_rate !== undefined) expect(test.model_sample_rate).not.toBe(16000);
  });

  it('GET /v1/voices/sauti-swahili-v1 says whether eSpeak is standing in for the model', async () => {
    const response = await request(api.baseUrl).get('/v1/voices/sauti-swahili-v1').set('xi-api-key', key);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({
      voice_id: 'sauti-swahili-v1',
      language: 'sw',
      sample_rate: 16000,
      engine: 'vits',
      test_voice: false,
    });
    // The tests run without its model files (as CI does, see routing.e2e.spec.ts): eSpeak serves it.
    expect(response.body).toMatchObject({ available: false, served_by_fallback: true, fallback_provider: 'espeak' });
  });

  it('404 for an unknown voice, 401 without a key', async () => {
    expectProblem(
      await request(api.baseUrl).get('/v1/voices/nope').set('xi-api-key', key),
      PUBLIC_BASE_URL,
      404,
      'not_found',
      /Voice 'nope' was not found/,
    );
    expectProblem(await request(api.baseUrl).get('/v1/voices'), PUBLIC_BASE_URL, 401, 'unauthorized');
    expectProblem(await request(api.baseUrl).get('/v1/voices/a/b').set('xi-api-key', key), PUBLIC_BASE_URL, 404, 'not_found');
  });

  it('serves Swagger UI at /docs and an OpenAPI document of this face at /docs-json, with the documents’ examples', async () => {
    const ui = await request(api.baseUrl).get('/docs');
    expect(ui.status).toBe(200);
    expect(ui.text).toMatch(/swagger/i);
    const spec = (await request(api.baseUrl).get('/docs-json')).body;
    expect(spec.openapi).toMatch(/^3\./);
    expect(spec.servers).toEqual([{ url: PUBLIC_BASE_URL }]);
    expect(Object.keys(spec.paths).sort()).toEqual([
      '/v1/keys',
      '/v1/keys/{key_id}',
      '/v1/text-to-speech/{voice_id}',
      '/v1/tts/jobs',
      '/v1/tts/jobs/{job_id}',
      '/v1/tts/jobs/{job_id}/audio',
      '/v1/usage',
      '/v1/voices',
      '/v1/voices/{voice_id}',
      '/v1/webhooks',
      '/v1/webhooks/{webhook_id}',
      '/v1/webhooks/{webhook_id}/deliveries',
      '/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/retry',
      '/v1/webhooks/{webhook_id}/rotate-secret',
    ]);
    const speech = spec.paths['/v1/text-to-speech/{voice_id}'].post;
    expect(Object.keys(speech.responses)).toEqual(expect.arrayContaining(['200', '202', '401', '402', '404', '422', '429', '503']));
    expect(speech.responses['422'].content['application/problem+json']).toBeDefined();
    const schemas = spec.components.schemas;
    expect(schemas.SautiTextToSpeechDto.properties.text.example).toBe('Habari za asubuhi. Unafanya kazi vizuri.');
    expect(schemas.SautiVoiceSettingsDto.properties.noise_scale.example).toBe(0.667);
    expect(schemas.SautiJobStatusDto.properties.completed_at.example).toBe('2026-03-15T10:30:12Z');
    expect(schemas.SautiProblemDto.properties.detail.example).toBe("Field 'text' exceeds the maximum length of 5000 characters.");
    expect(spec.components.securitySchemes['xi-api-key']).toEqual(
      expect.objectContaining({ type: 'apiKey', in: 'header', name: 'xi-api-key' }),
    );
  });
});
