import request from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import type { AudioFormat } from '../../src/synthesis/synthesis-request';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { toneWav } from '../fakes/scriptable-upstream';
import { startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';
import { probeAudio } from '../unit/audio/audio-probe';

const PATH = '/v1/async/audio/speech';
const TONE = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
const FORMATS: AudioFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** Every failure on this face: the whole BifrostError shape, not just a status. */
function expectBifrostError(response: request.Response, status: number, param?: string | null): Json {
  expect(response.status).toBe(status);
  expect(response.headers['content-type']).toMatch(/^application\/json/);
  const body = response.body as Json;
  expect(body).toEqual({
    event_id: expect.any(String),
    type: expect.any(String),
    is_bifrost_error: expect.any(Boolean),
    status_code: status,
    error: {
      type: body.type,
      code: expect.any(String),
      message: expect.any(String),
      param: param === undefined ? body.error?.param : param,
      event_id: body.event_id,
    },
    extra_fields: {
      provider: body.extra_fields.provider,
      model_requested: body.extra_fields.model_requested,
      request_type: body.extra_fields.request_type,
    },
  });
  return body;
}

describe('Bifrost async speech (/v1/async/audio/speech), worker as a child process', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let worker: ServiceProcess;
  let apiKey: string;
  let tenantId: string;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
    ({ apiKey, tenantId } = await api.createTenant(1_000_000));
    worker = spawnService('worker', fixture.env);
    await worker.waitForOutput(/worker started/);
  });
  afterEach(() => {
    upstream.reset();
    upstream.defaultResponse = TONE;
  });
  afterAll(async () => {
    await worker.stop('SIGTERM');
    await api.close();
    await upstream.close();
  });

  const submit = (body: object, headers: Record<string, string> = {}, key: string | null = apiKey) => {
    const call = request(api.baseUrl).post(PATH);
    if (key) call.set('authorization', `Bearer ${key}`);
    for (const [name, value] of Object.entries(headers)) call.set(name, value);
    return call.send(body);
  };
  const poll = (id: string, key = apiKey) => request(api.baseUrl).get(`${PATH}/${id}`).set('authorization', `Bearer ${key}`);
  const untilFinished = (id: string) => untilFinishedWith(id, apiKey);
  const untilFinishedWith = async (id: string, key: string): Promise<request.Response> => {
    const deadline = Date.now() + 45_000;
    for (;;) {
      const response = await poll(id, key);
      if (response.status !== 202) return response;
      expect(['pending', 'processing']).toContain(response.body.status);
      if (Date.now() > deadline) throw new Error(`job ${id} did not finish`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };
  const run = async (body: object, headers: Record<string, string> = {}) => {
    const created = await submit(body, headers);
    expect(created.status).toBe(202);
    return untilFinished(created.body.id);
  };
  const vits = { model: 'vits/sauti-test-v1', voice: 'alloy', input: 'Habari ya asubuhi.' };
  const ttlOf = (body: Json) => (Date.parse(body.expires_at) - Date.parse(body.completed_at)) / 1000;

  it('accepts a job (202 pending), reports it processing, then completed with the audio and who served it', async () => {
    const created = await submit({ ...vits, response_format: 'wav' });
    expect(created.status).toBe(202);
    expect(created.body).toEqual({ id: expect.stringMatching(/^job_/), status: 'pending', created_at: expect.any(String) });
    expect(Date.parse(created.body.created_at)).not.toBeNaN();
    const done = await untilFinished(created.body.id);
    expect(done.status).toBe(200);
    expect(done.headers['x-tts-provider']).toBe('vits');
    expect(done.body).toMatchObject({ id: created.body.id, status: 'completed', status_code: 200, created_at: created.body.created_at });
    const result = done.body.result as Json;
    expect(result).toMatchObject({
      format: 'wav',
      content_type: 'audio/wav',
      sample_rate: 16000,
      characters: 18,
      credits: 18,
      provider: 'vits',
      model: 'sauti-test-v1',
      fallback_used: false,
      ignored_fields: ['voice'],
      extra_fields: { provider: 'vits', model_requested: 'sauti-test-v1', request_type: 'speech' },
    });
    const wav = Buffer.from(result.audio, 'base64');
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect((await probeAudio(wav, 'wav')).durationSeconds).toBeCloseTo(result.duration_seconds, 2);
    expect(result.timestamps).toBeUndefined();
  });

  describe('result TTL (x-bf-async-job-result-ttl)', () => {
    it('defaults to 3600 s after completion', async () => {
      const done = await run(vits);
      expect(ttlOf(done.body)).toBeCloseTo(3600, 0);
    });

    it('takes the header in seconds', async () => {
      const created = await submit(vits, { 'x-bf-async-job-result-ttl': '120' });
      expect(created.headers['x-bf-async-job-result-ttl']).toBe('120');
      expect(ttlOf((await untilFinished(created.body.id)).body)).toBeCloseTo(120, 0);
    });

    it.each(['abc', '0', '-5', '1.5', ''])('"%s" falls back to the default', async (value) => {
      const done = await run(vits, { 'x-bf-async-job-result-ttl': value });
      expect(ttlOf(done.body)).toBeCloseTo(3600, 0);
    });

    it('after a short TTL the poll answers 404 in the Bifrost envelope, and so after the sweep', async () => {
      const done = await run(vits, { 'x-bf-async-job-result-ttl': '1' });
      expect(ttlOf(done.body)).toBeCloseTo(1, 0);
      await new Promise((resolve) => setTimeout(resolve, Date.parse(done.body.expires_at) - Date.now() + 50));
      const gone = await poll(done.body.id);
      expect(expectBifrostError(gone, 404).error.code).toBe('job_not_found');
      await new Promise((resolve) => setTimeout(resolve, 1000)); // the fixture worker sweeps every 300 ms
      const [row] = await api.app.get(DataSource).query(`SELECT status FROM synthesis_jobs WHERE id = $1`, [done.body.id]);
      expect(row.status).toBe('expired');
      expect(expectBifrostError(await poll(done.body.id), 404).error.code).toBe('job_not_found');
    });
  });

  it('fallbacks: the primary model fails, the first working fallback serves, and the result says so', async () => {
    upstream.defaultResponse = { status: 500, body: { error: { message: 'upstream down' } } };
    const done = await run({ model: 'fake/fake-model', voice: 'nova', input: 'Habari.', fallbacks: ['vits/sauti-test-v1', 'espeak/sw'] });
    expect(done.body.status).toBe('completed');
    expect(done.headers['x-tts-provider']).toBe('vits');
    expect(done.body.result).toMatchObject({
      provider: 'vits',
      model: 'sauti-test-v1',
      fallback_used: true,
      attempts: [
        { provider: 'fake', model: 'fake-model', outcome: expect.stringMatching(/provider_/), duration_ms: expect.any(Number) },
        { provider: 'vits', model: 'sauti-test-v1', outcome: 'ok', duration_ms: expect.any(Number) },
      ],
      extra_fields: { provider: 'fake', model_requested: 'fake-model', request_type: 'speech' },
    });
    expect(upstream.calls).toBeGreaterThanOrEqual(1);
  });

  it('a job whose every provider fails: 200 with status failed, status_code and the error as a BifrostError', async () => {
    upstream.defaultResponse = { status: 500, body: { error: { message: 'upstream down' } } };
    const before = (await api.app.get(CreditsService).summary(tenantId)).balance;
    const done = await run({ model: 'fake/fake-model', voice: 'nova', input: 'Haitafanikiwa.' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      status: 'failed',
      status_code: 502,
      completed_at: expect.any(String),
      expires_at: expect.any(String),
    });
    expect(done.body.error).toMatchObject({
      type: 'server_error',
      is_bifrost_error: false,
      status_code: 502,
      error: {
        type: 'server_error',
        code: expect.stringMatching(/provider_unavailable|all_providers_failed/),
        message: expect.any(String),
      },
      extra_fields: { provider: 'fake', model_requested: 'fake-model', request_type: 'speech' },
    });
    expect(done.body.result).toBeUndefined();
    expect((await api.app.get(CreditsService).summary(tenantId)).balance).toBe(before);
  });

  it('with_timestamps: one span per sentence, in order, inside the audio', async () => {
    const input = 'Habari ya asubuhi. Leo ni siku nzuri. Kwaheri!';
    const done = await run({ ...vits, input, with_timestamps: true, response_format: 'flac' });
    const result = done.body.result as Json;
    expect(result.timestamps.map((t: Json) => t.text)).toEqual(['Habari ya asubuhi.', 'Leo ni siku nzuri.', 'Kwaheri!']);
    let previousEnd = 0;
    for (const span of result.timestamps) {
      expect(span.start_seconds).toBeGreaterThanOrEqual(previousEnd);
      expect(span.end_seconds).toBeGreaterThan(span.start_seconds);
      previousEnd = span.end_seconds;
    }
    expect(result.timestamps[0].start_seconds).toBe(0);
    expect(previousEnd).toBeCloseTo(result.duration_seconds, 2);
  });

  const threeSentencesTimed = {
    model: 'fake/fake-model',
    voice: 'nova',
    input: 'Moja. Mbili. Tatu.',
    with_timestamps: true,
    response_format: 'wav',
  };

  it('with_timestamps on an upstream that reports no segments: one call per sentence, sample-exact spans', async () => {
    const done = await run(threeSentencesTimed);
    expect(upstream.requests.map((r) => JSON.parse(r.body.toString()).input).sort()).toEqual(['Mbili.', 'Moja.', 'Tatu.']);
    // Each fake answer is 0.5 s; sentences are joined with 0.2 s pauses that no span covers.
    expect(done.body.result.timestamps).toEqual([
      { text: 'Moja.', start_seconds: 0, end_seconds: 0.5 },
      { text: 'Mbili.', start_seconds: 0.7, end_seconds: 1.2 },
      { text: 'Tatu.', start_seconds: 1.4, end_seconds: 1.9 },
    ]);
    expect(done.body.result.duration_seconds).toBe(1.9);
  });

  it('with_timestamps in one voice: a target that fails partway through the text is left out, and the next speaks all of it', async () => {
    const down = { status: 500, body: { error: { message: 'upstream down' } } };
    upstream.enqueue(TONE, down, down);
    const done = await run({ ...threeSentencesTimed, fallbacks: ['espeak/sw'] });
    expect(done.body.status).toBe('completed');
    // Not the fake's first sentence followed by eSpeak's others: eSpeak spoke the whole text again.
    expect(done.body.result.provider).toBe('espeak');
    expect(done.body.result.timestamps.map((span: Json) => span.text)).toEqual(['Moja.', 'Mbili.', 'Tatu.']);
    expect(upstream.calls).toBeGreaterThanOrEqual(2);
    expect(upstream.calls).toBeLessThanOrEqual(3);
  });

  it('with_timestamps in one voice: a later sentence cut off partway through its audio also hands the whole text to the next target', async () => {
    const cut = { ...TONE, headers: { 'content-type': 'audio/wav' }, pieces: { count: 4, intervalMs: 20, failAfter: 2 } };
    upstream.enqueue(TONE, cut, cut);
    const done = await run({ ...threeSentencesTimed, fallbacks: ['espeak/sw'] });
    expect(done.body.status).toBe('completed');
    expect(done.body.result.provider).toBe('espeak');
    expect(done.body.result.timestamps.map((span: Json) => span.text)).toEqual(['Moja.', 'Mbili.', 'Tatu.']);
  });

  it.each(FORMATS)('%s: base64 audio that decodes with ffprobe at the reported duration', async (format) => {
    const done = await run({ model: 'fake/fake-model', voice: 'nova', input: 'Sekunde nusu.', response_format: format });
    const result = done.body.result as Json;
    expect(result.format).toBe(format);
    expect(result.duration_seconds).toBeCloseTo(0.5, 2);
    const raw = format === 'pcm' ? ['-f', 's16le', '-ar', String(result.sample_rate), '-ac', '1'] : [];
    if (format === 'pcm') expect(result.content_type).toBe(`audio/pcm;rate=${result.sample_rate}`);
    const probed = await probeAudio(Buffer.from(result.audio, 'base64'), format, raw);
    expect(probed.durationSeconds).toBeGreaterThan(0.49);
    expect(probed.durationSeconds).toBeLessThan(0.6);
  });

  it('reports the fields the expected provider will not honour in x-ignored-fields', async () => {
    const created = await submit({
      ...vits,
      instructions: 'Speak warmly.',
      language_code: 'sw',
      enable_logging: false,
      optimize_streaming_latency: true,
    });
    expect(created.status).toBe(202);
    expect(created.headers['x-ignored-fields']).toBe('voice, instructions, language_code, enable_logging, optimize_streaming_latency');
    const upstreamJob = await submit({ model: 'fake/fake-model', voice: 'nova', input: 'Habari.', instructions: 'Speak warmly.' });
    expect(upstreamJob.headers['x-ignored-fields']).toBeUndefined();
    const done = await untilFinished(upstreamJob.body.id);
    expect(done.body.result.ignored_fields).toEqual([]);
    expect(JSON.parse(upstream.requests[0].body.toString())).toMatchObject({
      voice: 'nova',
      instructions: 'Speak warmly.',
      model: 'fake-model',
    });
  });

  describe('every failure in the Bifrost envelope', () => {
    it.each([
      ['stream_format sse', { ...vits, stream_format: 'sse' }, 'stream_format'],
      ['speed 0.2', { ...vits, speed: 0.2 }, 'speed'],
      ['speed 4.1', { ...vits, speed: 4.1 }, 'speed'],
      ['speed "fast"', { ...vits, speed: 'fast' }, 'speed'],
      ['no model', { voice: 'alloy', input: 'Habari.' }, 'model'],
      ['model not provider/model', { ...vits, model: 'tts-1' }, 'model'],
      ['no input', { model: 'vits/sauti-test-v1', voice: 'alloy' }, 'input'],
      ['no voice', { model: 'vits/sauti-test-v1', input: 'Habari.' }, 'voice'],
      ['unknown provider', { ...vits, model: 'nosuch/model-x' }, 'model'],
      ['a language eSpeak does not have', { ...vits, model: 'espeak/zz' }, 'model'],
      ['unknown fallback provider', { ...vits, fallbacks: ['nosuch/model-x'] }, 'fallbacks'],
      ['unknown response_format', { ...vits, response_format: 'ogg' }, 'response_format'],
      [
        'pronunciation dictionaries',
        { ...vits, pronunciation_dictionary_locators: [{ pronunciation_dictionary_id: 'd1' }] },
        'pronunciation_dictionary_locators',
      ],
      ['with_timestamps not boolean', { ...vits, with_timestamps: 'yes' }, 'with_timestamps'],
    ])('%s → 400 naming the field', async (_name, body, param) => {
      const body400 = expectBifrostError(await submit(body), 400, param);
      expect(body400).toMatchObject({ type: 'invalid_request_error', is_bifrost_error: true, extra_fields: { request_type: 'speech' } });
    });

    it('says what is wrong in words a client can act on', async () => {
      expect(expectBifrostError(await submit({ voice: 'alloy', input: 'Habari.' }), 400, 'model').error.message).toBe(
        "Field 'model' is required",
      );
      expect(expectBifrostError(await submit({ ...vits, input: '' }), 400, 'input').error.message).toBe("Field 'input' is required");
      expect(expectBifrostError(await submit({ ...vits, voice: { voice_id: 'x' } }), 400, 'voice').error.message).toMatch(
        /must be a string/,
      );
      expect(expectBifrostError(await submit({ ...vits, model: 'tts-1' }), 400, 'model').error.message).toMatch(/provider\/model format/);
      expect(expectBifrostError(await submit({ ...vits, colour: 'blue' }), 400, 'colour').error.message).toBe(
        "Field 'colour' should not exist",
      );
    });

    it('names the requested provider and model in extra_fields', async () => {
      const body = expectBifrostError(await submit({ ...vits, model: 'nosuch/model-x' }), 400, 'model');
      expect(body.extra_fields).toEqual({ provider: 'nosuch', model_requested: 'model-x', request_type: 'speech' });
    });

    it('no key → 401, few credits → 402, unknown job → 404, wrong method → 405, malformed JSON → 400, unknown route → 404', async () => {
      expect(expectBifrostError(await submit(vits, {}, null), 401).error.code).toBe('unauthorized');
      const poor = await api.createTenant(1);
      expect(expectBifrostError(await submit(vits, {}, poor.apiKey), 402).error.code).toBe('insufficient_credits');
      expect(expectBifrostError(await poll('job_doesnotexist'), 404).error.code).toBe('job_not_found');
      const wrongMethod = await request(api.baseUrl).delete(`${PATH}/job_x`).set('authorization', `Bearer ${apiKey}`);
      expect(expectBifrostError(wrongMethod, 405).error.code).toBe('method_not_allowed');
      expect(wrongMethod.headers.allow).toBe('GET');
      const malformed = await request(api.baseUrl)
        .post(PATH)
        .set('authorization', `Bearer ${apiKey}`)
        .set('content-type', 'application/json')
        .send('{"model": ');
      expect(expectBifrostError(malformed, 400).error.code).toBe('malformed_request');
      expect(expectBifrostError(await request(api.baseUrl).get('/v1/async/nothing'), 404).error.code).toBe('not_found');
    });

    it('over the per-key job creation limit → 429 in the envelope with Retry-After', async () => {
      const limited = await api.createTenant(100_000);
      await api.app.get(DataSource).query(`UPDATE tenants SET rate_limit_job_creates_per_minute = 1 WHERE id = $1`, [limited.tenantId]);
      const first = await submit(vits, {}, limited.apiKey);
      expect(first.status).toBe(202);
      const refused = await submit(vits, {}, limited.apiKey);
      expect(expectBifrostError(refused, 429).error.code).toBe('rate_limited');
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      await untilFinishedWith(first.body.id, limited.apiKey);
    });

    it("another tenant's job is not found", async () => {
      const created = await submit(vits);
      const other = await api.createTenant(100);
      const response = await request(api.baseUrl).get(`${PATH}/${created.body.id}`).set('authorization', `Bearer ${other.apiKey}`);
      expectBifrostError(response, 404);
      await untilFinished(created.body.id);
    });
  });
});
