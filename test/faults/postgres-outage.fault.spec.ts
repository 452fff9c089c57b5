import { FAKE_VOICE } from '../support/job-fixture';
import type { ServiceProcess } from '../support/service-process';
import { expectBooks } from './support/books';
import { ApiProcess, errorLines, FaultLab, sleep, TONE, until } from './support/fault-lab';

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

interface Answer {
  status: number;
  headers: Headers;
  body: Json;
}

async function call(api: ApiProcess, method: string, path: string, headers: Record<string, string>, body?: unknown): Promise<Answer> {
  const response = await fetch(`${api.baseUrl}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : {} };
}

/** One request per face that needs PostgreSQL beyond the API key (cached): a reservation, a job row, a read. */
function faceCalls(apiKey: string): Array<{ face: string; method: string; path: string; headers: Record<string, string>; body?: Json }> {
  const bearer = { authorization: `Bearer ${apiKey}` };
  return [
    {
      face: 'sauti',
      method: 'POST',
      path: `/v1/text-to-speech/${FAKE_VOICE}`,
      headers: { 'xi-api-key': apiKey },
      body: { text: 'Habari.' },
    },
    { face: 'sauti', method: 'GET', path: '/v1/tts/jobs/job_0000000000000000000a', headers: { 'xi-api-key': apiKey } },
    { face: 'fish', method: 'POST', path: '/api/open/v1/speech/tts/jobs', headers: bearer, body: { text: 'Habari.', voiceId: FAKE_VOICE } },
    {
      face: 'bifrost',
      method: 'POST',
      path: '/v1/async/audio/speech',
      headers: bearer,
      body: { model: 'fake/fake-model', voice: 'alloy', input: 'Habari.' },
    },
    {
      face: 'openai',
      method: 'POST',
      path: '/v1/audio/speech',
      headers: bearer,
      body: { model: 'fake/fake-model', voice: 'alloy', input: 'Habari.' },
    },
    { face: 'default', method: 'GET', path: '/v1/account', headers: bearer },
  ];
}

function expect503InEnvelope(face: string, answer: Answer): void {
  expect({ face, status: answer.status }).toEqual({ face, status: 503 });
  expect(Number(answer.headers.get('retry-after'))).toBeGreaterThan(0);
  const { body } = answer;
  switch (face) {
    case 'sauti':
      expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(body).toMatchObject({ status: 503, type: expect.stringMatching(/\/errors\/service_unavailable$/) });
      break;
    case 'fish':
      expect(body).toEqual({ status: 503, code: 'service_unavailable', message: expect.any(String) });
      break;
    case 'bifrost':
      expect(body).toMatchObject({ status_code: 503, error: { code: 'service_unavailable' } });
      break;
    case 'openai':
      expect(body.error).toMatchObject({ code: 'service_unavailable', message: expect.any(String) });
      break;
    default:
      expect(body.error).toMatchObject({ code: 'service_unavailable' });
  }
  expect(JSON.stringify(body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|terminat|stack/i);
}

describe('fault: PostgreSQL stopped and restarted under load', () => {
  let lab: FaultLab;
  let api: ApiProcess;
  let worker: ServiceProcess;

  beforeAll(async () => {
    lab = await FaultLab.start();
    // Keys are cached, so requests get past authentication and meet the outage where the work is. Its
    // holds outlive the outages here, so what it could not finish it finishes itself (the sweeper is for the dead).
    api = await lab.api({ API_KEY_CACHE_TTL_MS: '300000', CREDIT_HOLD_TTL_SECONDS: '60' });
    worker = await lab.worker();
  });
  afterAll(() => lab?.close());

  it('while it is down, every face answers 503 service_unavailable with Retry-After in its own envelope, logged as a warning', async () => {
    const initial = 10_000;
    const { tenantId, apiKey } = await lab.createTenant(initial);
    expect((await call(api, 'GET', '/v1/account', { authorization: `Bearer ${apiKey}` })).status).toBe(200); // caches the key
    await lab.postgres.stop();
    try {
      for (const request of faceCalls(apiKey))
        expect503InEnvelope(request.face, await call(api, request.method, request.path, request.headers, request.body));
      const unknownKey = await call(api, 'GET', '/v1/account', { authorization: 'Bearer sk_sauti_never_seen_before' });
      expect503InEnvelope('default', unknownKey);
      const ready = await call(api, 'GET', '/health/ready', {});
      expect(ready.status).toBe(503);
      expect(ready.body.error).toHaveProperty('database');
      await sleep(2000); // a few seconds of outage
    } finally {
      await lab.postgres.start();
    }
    await until(
      async () => (await call(api, 'GET', '/v1/account', { authorization: `Bearer ${apiKey}` })).status === 200,
      'the api answers again',
    );
    const served = await call(api, 'POST', `/v1/text-to-speech/${FAKE_VOICE}`, { 'xi-api-key': apiKey }, { text: 'Habari tena.' });
    expect(served.status).toBe(200);
    expect(api.output().match(/dependency unavailable; answered 503/g)?.length).toBeGreaterThanOrEqual(7);
    expect(errorLines(api)).toEqual([]);
    await expectBooks(lab, tenantId, initial);
  });

  it('jobs running when PostgreSQL restarts wait for it without spending attempts, and each finishes once', async () => {
    const initial = 10_000;
    const { tenantId, apiKey } = await lab.createTenant(initial);
    lab.upstream.defaultResponse = { ...TONE, delayMs: 1500 };
    try {
      const ids: string[] = [];
      for (let i = 0; i < 6; i++) {
        const created = await call(api, 'POST', '/v1/tts/jobs', { 'xi-api-key': apiKey }, { text: `Kazi ${i}.`, voice_id: FAKE_VOICE });
        expect(created.status).toBe(202);
        ids.push(created.body.job_id);
      }
      await until(
        async () => [...(await lab.jobStatuses(ids)).values()].filter((status) => status === 'running').length >= 2,
        'jobs running',
      );
      await lab.postgres.stop();
      await sleep(4000); // the running jobs' synthesis ends meanwhile; their results cannot be stored
      await lab.postgres.start();
      await until(() => lab.allFinished(ids), 'every job finished', 90_000);
      expect([...(await lab.jobStatuses(ids)).values()]).toEqual(ids.map(() => 'succeeded'));
      expect(worker.output()).toMatch(/job postponed: PostgreSQL unavailable/);
      await expectBooks(lab, tenantId, initial, ids);
      expect(errorLines(worker)).toEqual([]);
    } finally {
      lab.upstream.defaultResponse = TONE;
    }
  });

  /** A sync request whose upstream answers while PostgreSQL is down: its reservation cannot be settled nor released. */
  async function requestCaughtByOutage(target: ApiProcess, apiKey: string): Promise<Answer> {
    lab.upstream.defaultResponse = { ...TONE, delayMs: 2000 };
    const callsBefore = lab.upstream.calls;
    const pending = call(target, 'POST', `/v1/text-to-speech/${FAKE_VOICE}`, { 'xi-api-key': apiKey }, { text: 'Ombi la papo hapo.' });
    await until(async () => lab.upstream.calls > callsBefore, 'the upstream called (credits reserved)');
    await lab.postgres.stop();
    const answer = await pending;
    lab.upstream.defaultResponse = TONE;
    return answer;
  }

  it('the settle fails after the audio went out: the client has its audio, and its process settles once PostgreSQL is back', async () => {
    const initial = 1000;
    const { tenantId, apiKey } = await lab.createTenant(initial);
    try {
      // The client never waits for the settle (docs/architecture.md, Billing): the audio is delivered.
      const answer = await requestCaughtByOutage(api, apiKey);
      expect(answer.status).toBe(200);
      await sleep(1500);
    } finally {
      await lab.postgres.start();
    }
    await until(
      async () => (await lab.query(`SELECT 1 FROM credit_holds WHERE tenant_id = $1`, [tenantId])).length === 0,
      'the hold ended',
      30_000,
    );
    const books = await expectBooks(lab, tenantId, initial);
    // Delivered audio is only ever settled: charged once, never released.
    expect(books.settled).toBe([...'Ombi la papo hapo.'].length);
    expect(api.output()).toMatch(/credit reservation finished after PostgreSQL came back/);
  });

  it('the api dies holding a reservation it could not settle: the worker releases it after the hold’s deadline (the customer is favoured)', async () => {
    const initial = 1000;
    const { tenantId, apiKey } = await lab.createTenant(initial);
    const doomed = await lab.api({ CREDIT_HOLD_TTL_SECONDS: '3' });
    try {
      expect((await requestCaughtByOutage(doomed, apiKey)).status).toBe(200);
      expect(await doomed.stop('SIGKILL')).toBe('SIGKILL');
    } finally {
      await lab.postgres.start();
    }
    const [hold] = await lab.query<{ owner: string }>(`SELECT owner FROM credit_holds WHERE tenant_id = $1`, [tenantId]);
    expect(hold.owner).toContain(`:${doomed.child.pid}:`);
    await until(
      async () => (await lab.query(`SELECT 1 FROM credit_holds WHERE tenant_id = $1`, [tenantId])).length === 0,
      'the sweeper released it',
      30_000,
    );
    const books = await expectBooks(lab, tenantId, initial);
    expect(books.settled).toBe(0);
    expect(worker.output()).toMatch(/released credit reservations abandoned by their request/);
  });
});
