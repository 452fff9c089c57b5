import request from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import type { ScriptedResponse, ScriptableUpstream } from '../fakes/scriptable-upstream';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';
import { expectProblem, expectSautiWav, ISO_SECONDS_UTC } from './sauti-e2e.helpers';

const PUBLIC_BASE_URL = 'https://sauti.example.test';

describe('Sauti face: async jobs (api in-process, worker as a child process)', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let healthyAnswer: ScriptedResponse;
  let worker: ServiceProcess;
  let key: string;
  let tenantId: string;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    healthyAnswer = upstream.defaultResponse;
    api = await startTestApi({ ...fixture.env, PUBLIC_BASE_URL });
    worker = spawnService('worker', { ...fixture.env, PUBLIC_BASE_URL });
    await worker.waitForOutput(/worker started/);
    ({ tenantId, apiKey: key } = await api.createTenant(1_000_000));
  });
  afterEach(() => {
    upstream.reset();
    upstream.defaultResponse = healthyAnswer;
  });
  afterAll(async () => {
    await worker?.stop('SIGTERM');
    await api.close();
    await upstream.close();
  });

  const create = (body: object, apiKey = key) => request(api.baseUrl).post('/v1/tts/jobs').set('xi-api-key', apiKey).send(body);
  const poll = (jobId: string, apiKey = key) => request(api.baseUrl).get(`/v1/tts/jobs/${jobId}`).set('xi-api-key', apiKey);
  const download = (jobId: string, apiKey = key) =>
    request(api.baseUrl).get(`/v1/tts/jobs/${jobId}/audio`).set('xi-api-key', apiKey).buffer(true);
  async function until(jobId: string, wanted: string[], timeoutMs = 30_000): Promise<request.Response> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const response = await poll(jobId);
      if (wanted.includes(response.body.status)) return response;
      if (Date.now() > deadline) throw new Error(`job ${jobId} still ${response.body.status}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  it('creates a job (202), reports queued → running → succeeded and serves the WAV with length and filename', async () => {
    // The upstream holds the job in `running` long enough to be seen even on a loaded CI machine.
    upstream.enqueue({ ...healthyAnswer, delayMs: 5000 });
    const created = await create({
      text: 'Habari za asubuhi.',
      voice_id: FAKE_VOICE,
      voice_settings: { speaking_rate: 1.0, noise_scale: 0.667, noise_scale_duration: 0.8 },
    });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({
      job_id: expect.stringMatching(/^job_\w+$/),
      status: 'queued',
      created_at: expect.stringMatching(ISO_SECONDS_UTC),
    });
    expect(created.headers['x-credits-reserved']).toBe('18');
    const jobId = created.body.job_id;

    const running = await until(jobId, ['running']);
    expect(running.body).toEqual({ job_id: jobId, status: 'running', created_at: created.body.created_at });
    const early = await download(jobId);
    expectProblem(early, PUBLIC_BASE_URL, 409, 'conflict', /running; audio is available once it has succeeded/);

    const done = await until(jobId, ['succeeded', 'failed']);
    expect(done.body).toEqual({
      job_id: jobId,
      status: 'succeeded',
      created_at: created.body.created_at,
      completed_at: expect.stringMatching(ISO_SECONDS_UTC),
    });
    const audio = await download(jobId);
    expect(audio.status).toBe(200);
    expect(audio.headers['content-type']).toBe('audio/wav');
    expect(audio.headers['content-length']).toBe(String(audio.body.length));
    expect(audio.headers['content-disposition']).toBe(`attachment; filename="${jobId}.wav"`);
    expect(audio.headers['x-tts-provider']).toBe('fake');
    expect(audio.headers['x-credits-charged']).toBe('18');
    expect(audio.headers['x-request-id']).toMatch(/\S/);
    expectSautiWav(audio.body);
  });

  it('a failed job reports failed with an error code and message; its audio answers 409; its credits are released', async () => {
    const before = (await api.app.get(CreditsService).summary(tenantId)).balance;
    upstream.defaultResponse = { status: 400, body: { error: { message: 'unsupported input' } } };
    const created = await create({ text: 'Habari za jioni.', voice_id: FAKE_VOICE });
    const failed = await until(created.body.job_id, ['failed', 'succeeded']);
    expect(failed.body).toMatchObject({
      status: 'failed',
      completed_at: expect.stringMatching(ISO_SECONDS_UTC),
      error: { code: expect.any(String), message: expect.any(String) },
    });
    expect(Object.keys(failed.body.error).sort()).toEqual(['code', 'message']);
    expectProblem(await download(created.body.job_id), PUBLIC_BASE_URL, 409, 'conflict', /failed/);
    expect((await api.app.get(CreditsService).summary(tenantId)).balance).toBe(before);
  });

  it('404 for an unknown job, another tenant’s job and an expired job (status and audio alike)', async () => {
    expectProblem(await poll('job_doesnotexist'), PUBLIC_BASE_URL, 404, 'not_found', 'Job job_doesnotexist was not found.');
    expectProblem(await download('job_doesnotexist'), PUBLIC_BASE_URL, 404, 'not_found');
    const created = await create({ text: 'Siri yangu.', voice_id: FAKE_VOICE });
    await until(created.body.job_id, ['succeeded']);
    const other = await api.createTenant(100);
    expectProblem(await poll(created.body.job_id, other.apiKey), PUBLIC_BASE_URL, 404, 'not_found');
    expectProblem(await download(created.body.job_id, other.apiKey), PUBLIC_BASE_URL, 404, 'not_found');
    await api.app.get(DataSource).query(`UPDATE synthesis_jobs SET status = 'expired' WHERE id = $1`, [created.body.job_id]);
    expectProblem(await poll(created.body.job_id), PUBLIC_BASE_URL, 404, 'not_found');
    expectProblem(await download(created.body.job_id), PUBLIC_BASE_URL, 404, 'not_found');
  });

  it('Idempotency-Key: the same body returns the same job, a different body is a 422, a malformed key is a 422', async () => {
    const body = { text: 'Kazi moja tu.', voice_id: FAKE_VOICE };
    const first = await create(body).set('Idempotency-Key', 'order-7');
    const again = await create(body).set('Idempotency-Key', 'order-7');
    expect(again.status).toBe(202);
    expect(again.body.job_id).toBe(first.body.job_id);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const jobs = await api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE idempotency_key = 'order-7'`);
    expect(jobs[0].n).toBe(1);
    const different = await create({ ...body, text: 'Kazi nyingine.' }).set('Idempotency-Key', 'order-7');
    expectProblem(different, PUBLIC_BASE_URL, 422, 'unprocessable_content', /Idempotency-Key was already used/);
    expectProblem(
      await create(body).set('Idempotency-Key', 'x'.repeat(256)),
      PUBLIC_BASE_URL,
      422,
      'unprocessable_content',
      /Idempotency-Key/,
    );
  });

  it('validates the job body like text-to-speech: 422 naming the field, 404 for an unknown voice', async () => {
    expectProblem(await create({ text: 'Habari' }), PUBLIC_BASE_URL, 422, 'unprocessable_content', "Field 'voice_id' is required.");
    expectProblem(await create({ voice_id: FAKE_VOICE }), PUBLIC_BASE_URL, 422, 'unprocessable_content', "Field 'text' is required.");
    expectProblem(
      await create({ text: 'a'.repeat(5001), voice_id: FAKE_VOICE }),
      PUBLIC_BASE_URL,
      422,
      'unprocessable_content',
      "Field 'text' exceeds the maximum length of 5000 characters.",
    );
    expectProblem(
      await create({ text: 'Habari', voice_id: FAKE_VOICE, voice_settings: { speed: 1 } }),
      PUBLIC_BASE_URL,
      422,
      'unprocessable_content',
      /voice_settings.speed/,
    );
    expectProblem(
      await create({ text: 'Habari', voice_id: 'no-such-voice' }),
      PUBLIC_BASE_URL,
      404,
      'not_found',
      /Voice 'no-such-voice' was not found/,
    );
    expectProblem(await create({ text: 'Habari', voice_id: 'vits/sauti-test-v1' }), PUBLIC_BASE_URL, 404, 'not_found');
    expectProblem(
      await request(api.baseUrl).post('/v1/tts/jobs').send({ text: 'Habari', voice_id: FAKE_VOICE }),
      PUBLIC_BASE_URL,
      401,
      'unauthorized',
    );
  });

  it('402 when the credits do not cover the job; 429 with Retry-After when too many jobs are active (both job-creating endpoints)', async () => {
    const poor = await api.createTenant(3);
    expectProblem(
      await create({ text: 'Habari za asubuhi.', voice_id: FAKE_VOICE }, poor.apiKey),
      PUBLIC_BASE_URL,
      402,
      'payment_required',
    );
    const busy = await api.createTenant(100_000);
    await api.app.get(DataSource).query(`UPDATE tenants SET max_active_jobs = 1 WHERE id = $1`, [busy.tenantId]);
    upstream.enqueue({ ...healthyAnswer, delayMs: 3000 });
    expect((await create({ text: 'Kazi ya kwanza.', voice_id: FAKE_VOICE }, busy.apiKey)).status).toBe(202);
    const viaJobs = await create({ text: 'Habari.', voice_id: FAKE_VOICE }, busy.apiKey);
    expectProblem(viaJobs, PUBLIC_BASE_URL, 429, 'too_many_requests', /limit 1/);
    expect(viaJobs.headers['retry-after']).toBe('5');
    const viaSpeech = await request(api.baseUrl)
      .post(`/v1/text-to-speech/${FAKE_VOICE}`)
      .set('xi-api-key', busy.apiKey)
      .send({ text: 'a'.repeat(2001) });
    expectProblem(viaSpeech, PUBLIC_BASE_URL, 429, 'too_many_requests');
    expect(viaSpeech.headers['retry-after']).toBe('5');
  });

  it('a 2,001-character text-to-speech request runs as a job to a downloadable WAV', async () => {
    const accepted = await request(api.baseUrl)
      .post(`/v1/text-to-speech/${FAKE_VOICE}`)
      .set('xi-api-key', key)
      .send({ text: 'ŋ'.repeat(2001) });
    expect(accepted.status).toBe(202);
    await until(accepted.body.job_id, ['succeeded']);
    const audio = await download(accepted.body.job_id);
    expect(audio.status).toBe(200);
    expectSautiWav(audio.body);
  });
});
