import { randomBytes } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { SynthesisJobRepository } from '../../src/jobs/synthesis-job.repository';
import { startTestApi, TestApi } from '../support/test-api';
import { textOf } from './sauti-e2e.helpers';

const VOICE = 'sauti-test-v1';
type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** One job-creating endpoint of a face: how to call it, and how its answer names the job. */
interface CreateEndpoint {
  face: string;
  create(api: TestApi, apiKey: string, text: string, idempotencyKey?: string): request.Test;
  jobId(body: Json): string;
}

const ENDPOINTS: CreateEndpoint[] = [
  {
    face: 'Sauti POST /v1/tts/jobs',
    create: (api, apiKey, text, key) =>
      withKey(request(api.baseUrl).post('/v1/tts/jobs').set('xi-api-key', apiKey), key).send({ text, voice_id: VOICE }),
    jobId: (body) => body.job_id,
  },
  {
    face: 'Sauti long text on POST /v1/text-to-speech',
    create: (api, apiKey, text, key) =>
      withKey(request(api.baseUrl).post(`/v1/text-to-speech/${VOICE}`).set('xi-api-key', apiKey), key).send({ text: textOf(2001, text) }),
    jobId: (body) => body.job_id,
  },
  {
    face: 'Fish POST /api/open/v1/speech/tts/jobs',
    create: (api, apiKey, text, key) =>
      withKey(request(api.baseUrl).post('/api/open/v1/speech/tts/jobs').set('authorization', `Bearer ${apiKey}`), key).send({
        text,
        voiceId: VOICE,
      }),
    jobId: (body) => body.id,
  },
  {
    face: 'Bifrost POST /v1/async/audio/speech',
    create: (api, apiKey, text, key) =>
      withKey(request(api.baseUrl).post('/v1/async/audio/speech').set('authorization', `Bearer ${apiKey}`), key).send({
        model: `vits/${VOICE}`,
        voice: 'alloy',
        input: text,
      }),
    jobId: (body) => body.id,
  },
];

function withKey(call: request.Test, key: string | undefined): request.Test {
  return key === undefined ? call : call.set('idempotency-key', key);
}

describe('job creation on every face: Idempotency-Key, what a replay costs, ids that cannot exist', () => {
  let api: TestApi;
  let dataSource: DataSource;

  beforeAll(async () => {
    // A queue of this file's own (no worker runs here), and jobs never relayed.
    api = await startTestApi({
      QUEUE_PREFIX: `${process.env.QUEUE_PREFIX}-${randomBytes(3).toString('hex')}`,
      JOB_RELAY_MIN_AGE_MS: '3600000',
    });
    dataSource = api.app.get(DataSource);
  });
  afterAll(() => api.close());

  const reserves = async (tenantId: string) =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM credit_ledger WHERE tenant_id = $1 AND kind = 'reserve'`, [tenantId]))[0].n;

  describe.each(ENDPOINTS)('$face', (endpoint) => {
    it('10 parallel creates with one Idempotency-Key and body: one job, one reservation, the others marked as replays', async () => {
      const { tenantId, apiKey } = await api.createTenant(1_000_000);
      const responses = await Promise.all(Array.from({ length: 10 }, () => endpoint.create(api, apiKey, 'Ombi moja tu.', 'parallel-1')));
      for (const response of responses) expect(response.status).toBe(202);
      expect(new Set(responses.map((response) => endpoint.jobId(response.body))).size).toBe(1);
      expect(responses.filter((response) => response.headers['idempotent-replayed'] === 'true')).toHaveLength(9);
      expect(await reserves(tenantId)).toBe(1);
      const { balance, reserved } = await api.app.get(CreditsService).summary(tenantId);
      expect(balance + reserved).toBe(1_000_000);
    });

    it('the same key with another body is refused, and a malformed key is refused, both in the face’s envelope', async () => {
      const { tenantId, apiKey } = await api.createTenant(1_000_000);
      expect((await endpoint.create(api, apiKey, 'Kwanza.', 'reused-1')).status).toBe(202);
      const reused = await endpoint.create(api, apiKey, 'Nyingine.', 'reused-1');
      expect(reused.status).toBeGreaterThanOrEqual(400);
      expect(reused.status).toBeLessThan(500);
      expect(reused.text).toMatch(/Idempotency-Key/);
      const malformed = await endpoint.create(api, apiKey, 'Kwanza.', 'k'.repeat(256));
      expect([400, 422]).toContain(malformed.status);
      expect(malformed.text).toMatch(/Idempotency-Key/);
      expect(await reserves(tenantId)).toBe(1);
    });

    it('replays cost no job creation: 20 replays, then the limit of 3 still admits 2 new jobs', async () => {
      const { tenantId, apiKey } = await api.createTenant(1_000_000);
      await dataSource.query(`UPDATE tenants SET rate_limit_job_creates_per_minute = 3 WHERE id = $1`, [tenantId]);
      const first = await endpoint.create(api, apiKey, 'Ombi la kurudiwa.', 'replayed-1');
      expect(first.status).toBe(202);
      for (let i = 0; i < 20; i++) {
        const replay = await endpoint.create(api, apiKey, 'Ombi la kurudiwa.', 'replayed-1');
        expect(replay.status).toBe(202);
        expect(endpoint.jobId(replay.body)).toBe(endpoint.jobId(first.body));
      }
      expect((await endpoint.create(api, apiKey, 'Kazi ya pili.')).status).toBe(202);
      expect((await endpoint.create(api, apiKey, 'Kazi ya tatu.')).status).toBe(202);
      const refused = await endpoint.create(api, apiKey, 'Kazi ya nne.');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(await reserves(tenantId)).toBe(3);
    });
  });

  describe('ids that no job can have answer 404 in the face’s envelope, without a query', () => {
    const impossible: Array<[string, string]> = [
      ['a NUL byte', '%00'],
      ['a NUL byte after the prefix', 'job_%00'],
      ['a thousand characters', `job_${'a'.repeat(1000)}`],
      ['capitals', 'JOB_UPPERCASE0000000000'],
      ['quotes and a semicolon', "job_'%3B--"],
      ['a path', '..%2F..%2Fetc'],
      ['a bidirectional override', 'job_%E2%80%AE'],
    ];
    let apiKey: string;
    let reads: jest.SpyInstance[];

    beforeAll(async () => {
      ({ apiKey } = await api.createTenant(1000));
    });
    beforeEach(() => {
      const repository = api.app.get(SynthesisJobRepository);
      reads = [jest.spyOn(repository, 'findOfTenant'), jest.spyOn(repository, 'findById')];
    });
    afterEach(() => {
      for (const spy of reads) {
        expect(spy).not.toHaveBeenCalled();
        spy.mockRestore();
      }
    });

    it.each(impossible)('Sauti /v1/tts/jobs/{id} and its /audio, id with %s: RFC 7807 404', async (_, id) => {
      for (const path of [`/v1/tts/jobs/${id}`, `/v1/tts/jobs/${id}/audio`]) {
        const response = await request(api.baseUrl).get(path).set('xi-api-key', apiKey);
        expect(response.status).toBe(404);
        expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: 404, type: expect.stringMatching(/\/errors\/not_found$/) });
      }
    });

    it.each(impossible)('Fish task and its signed audio link, id with %s: {status, code, message} 404', async (_, id) => {
      const task = await request(api.baseUrl).get(`/api/open/v1/speech/tts/jobs/${id}`).set('authorization', `Bearer ${apiKey}`);
      expect(task.status).toBe(404);
      expect(task.body).toEqual({ status: 404, code: expect.any(String), message: expect.any(String) });
      const audio = await request(api.baseUrl).get(`/api/open/v1/speech/tts/jobs/${id}/audio?expires=9999999999&kid=k1&signature=abc`);
      expect(audio.status).toBe(404);
      expect(audio.body).toEqual({ status: 404, code: expect.any(String), message: expect.any(String) });
    });

    it.each(impossible)('Bifrost /v1/async/audio/speech/{id}, id with %s: BifrostError 404', async (_, id) => {
      const response = await request(api.baseUrl).get(`/v1/async/audio/speech/${id}`).set('authorization', `Bearer ${apiKey}`);
      expect(response.status).toBe(404);
      expect(response.body).toMatchObject({ status_code: 404, error: { code: 'job_not_found' }, is_bifrost_error: true });
    });
  });

  it('a NUL byte or a lone surrogate in any string of a create is a 4xx naming the field, never a 500', async () => {
    const { apiKey } = await api.createTenant(1_000_000);
    const auth = { authorization: `Bearer ${apiKey}` };
    const calls: Array<[string, Record<string, string>, Json]> = [
      ['/v1/tts/jobs', { 'xi-api-key': apiKey }, { text: 'Habari\u0000', voice_id: VOICE }],
      ['/api/open/v1/speech/tts/jobs', auth, { text: 'Habari\u0000', voiceId: VOICE }],
      ['/api/open/v1/speech/tts/jobs', auth, { text: 'Habari', voiceId: `${VOICE}\u0000` }],
      ['/v1/async/audio/speech', auth, { model: `vits/${VOICE}`, voice: 'alloy', input: 'Habari\u0000' }],
      ['/v1/async/audio/speech', auth, { model: `vits/${VOICE}`, input: 'Habari', voice: 'alloy\u0000' }],
      ['/v1/async/audio/speech', auth, { model: `vits/${VOICE}`, voice: 'alloy', input: 'Habari', instructions: 'warm\u0000' }],
      ['/v1/async/audio/speech', auth, { model: `vits/${VOICE}`, voice: 'alloy', input: 'Habari \ud800' }],
      ['/api/open/v1/speech/tts/jobs', auth, { text: 'Habari \udc00 tena', voiceId: VOICE }],
      ['/v1/audio/speech', auth, { model: `vits/${VOICE}`, voice: 'alloy', input: 'Habari\u0000' }],
    ];
    for (const [path, headers, body] of calls) {
      const response = await request(api.baseUrl).post(path).set(headers).send(body);
      if (response.status < 400 || response.status >= 500)
        throw new Error(`${path} ${JSON.stringify(body)} → ${response.status} ${response.text}`);
      expect(response.text).toMatch(/NUL|surrogate/);
    }
  });
});
