import request from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { VoiceCatalog } from '../../src/synthesis/routing/voice-catalog';
import { ScriptableUpstream, toneWav } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';
import { expectProblem, expectSautiWav, ISO_SECONDS_UTC, textOf } from './sauti-e2e.helpers';

const TEST_VOICE = 'sauti-test-v1';
const PUBLIC_BASE_URL = 'https://sauti.example.test';

describe('Sauti face: POST /v1/text-to-speech/{voice_id}', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let key: string;
  let tenantId: string;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    api = await startTestApi({ ...fixture.env, PUBLIC_BASE_URL, BODY_LIMIT_BYTES: String(256 * 1024) });
    ({ tenantId, apiKey: key } = await api.createTenant(10_000_000));
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const speak = (body: unknown, voice = TEST_VOICE, apiKey = key) =>
    request(api.baseUrl)
      .post(`/v1/text-to-speech/${voice}`)
      .set('xi-api-key', apiKey)
      .send(body as object);
  const balance = async (tenant = tenantId) => (await api.app.get(CreditsService).summary(tenant)).balance;

  it('answers short text with base64 WAV (16-bit mono at the voice rate), the cost headers and the exact charge', async () => {
    const before = await balance();
    const response = await speak({ text: 'Habari za asubuhi. Unafanya kazi vizuri.' });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(Object.keys(response.body).sort()).toEqual([
      'audio_base64',
      'characters_synthesized',
      'content_type',
      'duration_seconds',
      'voice_id',
    ]);
    expect(response.body).toMatchObject({ content_type: 'audio/wav', characters_synthesized: 40, voice_id: TEST_VOICE });
    const { durationSeconds } = expectSautiWav(Buffer.from(response.body.audio_base64, 'base64'));
    expect(response.body.duration_seconds).toBeCloseTo(durationSeconds, 2);
    expect(response.headers['x-request-id']).toMatch(/\S+/);
    expect(response.headers['x-tts-provider']).toBe('vits');
    expect(response.headers['x-character-count']).toBe('40');
    expect(response.headers['x-credits-charged']).toBe('40');
    expect(before - (await balance())).toBe(40);
  });

  it('accepts Authorization: Bearer as well as xi-api-key', async () => {
    const response = await request(api.baseUrl)
      .post(`/v1/text-to-speech/${TEST_VOICE}`)
      .set('authorization', `Bearer ${key}`)
      .send({ text: 'Karibu sana.' });
    expect(response.status).toBe(200);
  });

  it('serves sauti-swahili-v1 (eSpeak fallback when its model is not installed) at 16 kHz', async () => {
    const response = await speak(
      { text: 'Karibu sana.', voice_settings: { speaking_rate: 1.0, noise_scale: 0.667, noise_scale_duration: 0.8 } },
      'sauti-swahili-v1',
    );
    expect(response.status).toBe(200);
    expect(['vits', 'espeak']).toContain(response.headers['x-tts-provider']);
    expectSautiWav(Buffer.from(response.body.audio_base64, 'base64'));
  });

  describe('the 2,000 / 5,000 character boundaries, counted as code points after NFC', () => {
    const units = { ascii: 'Habari za asubuhi. ', eng: 'ŋombe ŋa ', emoji: 'Karibu 🎉🇰🇪 ' };
    it.each(Object.entries(units))('%s: 1,999 and 2,000 characters are synthesized now', async (_name, unit) => {
      for (const count of [1999, 2000]) {
        const response = await speak({ text: textOf(count, unit) });
        expect(response.status).toBe(200);
        expect(response.body.characters_synthesized).toBe(count);
        expect(response.headers['x-character-count']).toBe(String(count));
      }
    });

    it.each(Object.entries(units))('%s: 2,001 and 5,000 characters become jobs; 5,001 is refused', async (_name, unit) => {
      for (const count of [2001, 5000]) {
        const response = await speak({ text: textOf(count, unit) }, FAKE_VOICE);
        expect(response.status).toBe(202);
        expect(Object.keys(response.body).sort()).toEqual(['created_at', 'job_id', 'status']);
        expect(response.body).toMatchObject({
          job_id: expect.stringMatching(/^job_/),
          status: 'queued',
          created_at: expect.stringMatching(ISO_SECONDS_UTC),
        });
        expect(response.headers['x-character-count']).toBe(String(count));
        expect(response.headers['x-credits-reserved']).toBe(String(count));
      }
      const refused = await speak({ text: textOf(5001, unit) });
      expectProblem(refused, PUBLIC_BASE_URL, 422, 'unprocessable_content', "Field 'text' exceeds the maximum length of 5000 characters.");
      expect(refused.body.title).toBe('Unprocessable Content');
    });

    it('counts after NFC: 5,000 decomposed "é" (10,000 code points before NFC) is 5,000 characters', async () => {
      const response = await speak({ text: 'e\u0301'.repeat(5000) }, FAKE_VOICE);
      expect(response.status).toBe(202);
      expect(response.headers['x-character-count']).toBe('5000');
    });
  });

  describe('422 with a precise detail', () => {
    const cases: Array<[string, unknown, string | RegExp]> = [
      ['missing text', { voice_settings: {} }, "Field 'text' is required."],
      ['null text', { text: null }, "Field 'text' is required."],
      ['non-string text', { text: 42 }, "Field 'text' must be a string, got number."],
      ['empty text', { text: '' }, "Field 'text' must not be empty."],
      ['whitespace-only text', { text: ' \n\t ' }, "Field 'text' must not be whitespace only."],
      [
        'a control character',
        { text: 'Habari\u0007 yako' },
        "Field 'text' contains the control character U+0007 at character 6; only newline and tab are allowed.",
      ],
      ['a C1 control character', { text: 'Habari\u0085' }, /U\+0085/],
      [
        'an unpaired surrogate',
        { text: 'Habari \ud800' },
        "Field 'text' contains an unpaired UTF-16 surrogate; it must be valid Unicode text.",
      ],
      [
        'an unknown top-level field',
        { text: 'Habari', model_id: 'x' },
        "Field 'model_id' is not a recognised field; allowed: text, voice_settings.",
      ],
      ['a body that is not an object', ['Habari'], 'The request body must be a JSON object.'],
      ['voice_settings not an object', { text: 'Habari', voice_settings: 3 }, "Field 'voice_settings' must be a JSON object."],
      [
        'an unknown voice setting',
        { text: 'Habari', voice_settings: { pitch: 2 } },
        /^Field 'voice_settings.pitch' is not a recognised field/,
      ],
      [
        'a negative speaking_rate',
        { text: 'Habari', voice_settings: { speaking_rate: -1 } },
        "Field 'voice_settings.speaking_rate' must be a number from 0.25 to 4, got -1.",
      ],
      [
        'an out-of-range noise_scale',
        { text: 'Habari', voice_settings: { noise_scale: 2.5 } },
        "Field 'voice_settings.noise_scale' must be a number from 0 to 2, got 2.5.",
      ],
      [
        'a "NaN" noise_scale_duration',
        { text: 'Habari', voice_settings: { noise_scale_duration: 'NaN' } },
        /^Field 'voice_settings.noise_scale_duration' must be a number from 0 to 2, got "NaN"/,
      ],
    ];
    it.each(cases)('%s', async (_name, body, detail) => {
      const response = await speak(body);
      expectProblem(response, PUBLIC_BASE_URL, 422, 'unprocessable_content', detail);
    });

    it('invalid UTF-8 in the body', async () => {
      const bytes = Buffer.concat([Buffer.from('{"text": "Habari '), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}')]);
      // Raw bytes through fetch: supertest would serialise a Buffer as JSON.
      const raw = await fetch(`${api.baseUrl}/v1/text-to-speech/${TEST_VOICE}`, {
        method: 'POST',
        headers: { 'xi-api-key': key, 'content-type': 'application/json' },
        body: bytes,
      });
      const text = await raw.text();
      const response = {
        status: raw.status,
        text,
        body: JSON.parse(text),
        headers: Object.fromEntries(raw.headers),
      } as unknown as request.Response;
      expectProblem(response, PUBLIC_BASE_URL, 422, 'unprocessable_content', 'The request body is not valid UTF-8.');
    });

    it('charges nothing for a refused request', async () => {
      const before = await balance();
      await speak({ text: '' });
      await speak({ text: textOf(5001) });
      expect(await balance()).toBe(before);
    });
  });

  describe('other failures are RFC 7807 problems too', () => {
    it('401 without a key and with a wrong one', async () => {
      const missing = await request(api.baseUrl).post(`/v1/text-to-speech/${TEST_VOICE}`).send({ text: 'Habari' });
      expectProblem(missing, PUBLIC_BASE_URL, 401, 'unauthorized', /API key is required/);
      expect(missing.headers['www-authenticate']).toMatch(/^Bearer/);
      const wrong = await speak({ text: 'Habari' }, TEST_VOICE, 'sk_not_a_key');
      expectProblem(wrong, PUBLIC_BASE_URL, 401, 'unauthorized');
    });

    it('402 when the credits do not cover the text, and nothing is charged', async () => {
      const poor = await api.createTenant(5);
      const response = await speak({ text: 'Habari za asubuhi.' }, TEST_VOICE, poor.apiKey);
      expectProblem(response, PUBLIC_BASE_URL, 402, 'payment_required');
      expect(await balance(poor.tenantId)).toBe(5);
    });

    it('404 for an unknown voice (checked before the body)', async () => {
      expectProblem(
        await speak({ text: 'Habari' }, 'no-such-voice'),
        PUBLIC_BASE_URL,
        404,
        'not_found',
        /Voice 'no-such-voice' was not found/,
      );
      expectProblem(await speak({}, 'no-such-voice'), PUBLIC_BASE_URL, 404, 'not_found');
    });

    it('404 for unknown routes under the face and 405 (with Allow) for a wrong method', async () => {
      const unknown = await request(api.baseUrl).get('/v1/tts/nothing/here').set('xi-api-key', key);
      expectProblem(unknown, PUBLIC_BASE_URL, 404, 'not_found');
      expectProblem(await request(api.baseUrl).post('/v1/text-to-speech').send({ text: 'x' }), PUBLIC_BASE_URL, 404, 'not_found');
      const wrongMethod = await request(api.baseUrl).get(`/v1/text-to-speech/${TEST_VOICE}`).set('xi-api-key', key);
      expectProblem(wrongMethod, PUBLIC_BASE_URL, 405, 'method_not_allowed');
      expect(wrongMethod.headers.allow).toBe('POST');
      const deleteJob = await request(api.baseUrl).delete('/v1/tts/jobs/job_abc123').set('xi-api-key', key);
      expectProblem(deleteJob, PUBLIC_BASE_URL, 405, 'method_not_allowed');
      expect(deleteJob.headers.allow).toBe('GET, HEAD');
      expectProblem(await request(api.baseUrl).post('/v1/voices').send({}), PUBLIC_BASE_URL, 405, 'method_not_allowed');
    });

    it('400 for malformed JSON, 413 for an oversized body, 415 for a non-JSON body', async () => {
      const post = () => request(api.baseUrl).post(`/v1/text-to-speech/${TEST_VOICE}`).set('xi-api-key', key);
      expectProblem(
        await post().set('content-type', 'application/json').send('{"text": '),
        PUBLIC_BASE_URL,
        400,
        'bad_request',
        'The request body is not valid JSON.',
      );
      expectProblem(await post().send({ text: 'a'.repeat(300 * 1024) }), PUBLIC_BASE_URL, 413, 'content_too_large');
      expectProblem(await post().set('content-type', 'text/plain').send('Habari'), PUBLIC_BASE_URL, 415, 'unsupported_media_type');
    });

    it('429 with Retry-After past the per-key request limit; a text that becomes a job counts as a job creation', async () => {
      const limited = await api.createTenant(100_000);
      await api.app
        .get(DataSource)
        .query(`UPDATE tenants SET rate_limit_requests_per_minute = 2, rate_limit_job_creates_per_minute = 1 WHERE id = $1`, [
          limited.tenantId,
        ]);
      const first = await speak({ text: textOf(2001) }, FAKE_VOICE, limited.apiKey);
      expect(first.status).toBe(202);
      expect(first.headers['x-ratelimit-limit']).toBe('2');
      const secondJob = await speak({ text: textOf(2001) }, FAKE_VOICE, limited.apiKey);
      expectProblem(secondJob, PUBLIC_BASE_URL, 429, 'too_many_requests', /job creates/);
      const third = await speak({ text: 'Habari' }, TEST_VOICE, limited.apiKey);
      expectProblem(third, PUBLIC_BASE_URL, 429, 'too_many_requests', /limit is 2 requests per 60 seconds/);
      expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    });

    it('503 with Retry-After when no engine can serve the voice, and nothing is charged', async () => {
      upstream.defaultResponse = { status: 503, body: { error: { message: 'overloaded' } } };
      const before = await balance();
      const response = await speak({ text: 'Habari za asubuhi.' }, FAKE_VOICE);
      expectProblem(response, PUBLIC_BASE_URL, 503, 'service_unavailable');
      expect(Number(response.headers['retry-after'])).toBeGreaterThan(0);
      expect(response.body.detail).toMatch(
        new RegExp(`^Every provider for '${FAKE_VOICE}' failed: fake provider_unavailable \\(\\d+ ms\\)\\.$`),
      );
      expect(response.body.attempts).toEqual([
        { provider: 'fake', outcome: 'provider_unavailable', duration_ms: expect.any(Number), retries: 0 },
      ]);
      expect(JSON.stringify(response.body)).not.toContain('overloaded');
      expect(await balance()).toBe(before);
    });

    it('500 for an unexpected exception, without leaking its message', async () => {
      const catalog = api.app.get(VoiceCatalog);
      const original = catalog.get.bind(catalog);
      catalog.get = () => {
        throw new Error('secret internal detail at /srv/models');
      };
      try {
        const response = await speak({ text: 'Habari' });
        expectProblem(response, PUBLIC_BASE_URL, 500, 'internal_server_error', 'An unexpected error occurred.');
        expect(response.text).not.toMatch(/secret|\/srv/);
      } finally {
        catalog.get = original;
      }
    });
  });

  it('a client that hangs up before the audio is written is charged nothing', async () => {
    const caller = await api.createTenant(10_000);
    const controller = new AbortController();
    const call = fetch(`${api.baseUrl}/v1/text-to-speech/${TEST_VOICE}`, {
      method: 'POST',
      headers: { 'xi-api-key': caller.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text: textOf(2000) }),
      signal: controller.signal,
    }).catch((error: { name: string }) => error);
    const credits = api.app.get(CreditsService);
    const deadline = Date.now() + 10_000;
    while ((await credits.summary(caller.tenantId)).reserved === 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await credits.summary(caller.tenantId)).reserved).toBe(2000);
    controller.abort();
    expect(await call).toMatchObject({ name: 'AbortError' });
    while ((await credits.summary(caller.tenantId)).reserved !== 0 && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await credits.summary(caller.tenantId)).toMatchObject({ balance: 10_000, reserved: 0, ledgerSum: 10_000 });
  });

  it('a client that hangs up while an upstream is still streaming its audio: the upstream call is closed, and nothing is charged (the JSON was never sent)', async () => {
    const caller = await api.createTenant(10_000);
    upstream.enqueue({
      status: 200,
      headers: { 'content-type': 'audio/wav' },
      body: toneWav(1, 16000),
      pieces: { count: 10, intervalMs: 200 },
    });
    const controller = new AbortController();
    const call = fetch(`${api.baseUrl}/v1/text-to-speech/${FAKE_VOICE}`, {
      method: 'POST',
      headers: { 'xi-api-key': caller.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Habari ya jioni.' }),
      signal: controller.signal,
    }).catch((error: { name: string }) => error);
    await eventually(() => expect(upstream.requests[0]?.piecesSentAt.length).toBeGreaterThanOrEqual(2));
    controller.abort();
    expect(await call).toMatchObject({ name: 'AbortError' });
    await eventually(() => expect(upstream.requests[0].abandoned).toBe(true));
    expect(upstream.requests[0].piecesSentAt.length).toBeLessThan(10);
    await eventually(async () =>
      expect(await api.app.get(CreditsService).summary(caller.tenantId)).toMatchObject({ balance: 10_000, reserved: 0, ledgerSum: 10_000 }),
    );
    expect(upstream.calls).toBe(1);
  });

  it('a 202 from text-to-speech is a job exactly as POST /v1/tts/jobs creates it (same Idempotency-Key, same job)', async () => {
    const text = textOf(2500);
    const viaSpeech = await speak({ text }, FAKE_VOICE).set('Idempotency-Key', 'speech-and-jobs-1');
    expect(viaSpeech.status).toBe(202);
    const viaJobs = await request(api.baseUrl)
      .post('/v1/tts/jobs')
      .set('xi-api-key', key)
      .set('Idempotency-Key', 'speech-and-jobs-1')
      .send({ text, voice_id: FAKE_VOICE });
    expect(viaJobs.status).toBe(202);
    expect(viaJobs.body.job_id).toBe(viaSpeech.body.job_id);
    expect(viaJobs.headers['idempotent-replayed']).toBe('true');
    const row = await api.app.get(DataSource).query(`SELECT face, characters FROM synthesis_jobs WHERE id = $1`, [viaSpeech.body.job_id]);
    expect(row).toEqual([{ face: 'sauti', characters: 2500 }]);
  });
});
