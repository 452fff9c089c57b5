import { DataSource } from 'typeorm';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';
import { createTask, download, pollUntilTerminal } from './fish-support';

const TEXT = 'Habari za asubuhi.'; // 18 credits a synthesis, 2 a hit (⌈1.8⌉)

/** What these tests read of a Bifrost job. */
interface BifrostJobBody {
  id: string;
  status: string;
  result: { cache: string; credits: number; audio: string; provider: string; timestamps?: unknown[] };
}

/** The audio cache on the job path: the worker (a child process) reads and fills the same store as the api. */
describe('audio cache: jobs (api in-process, worker as a child process)', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let worker: ServiceProcess;
  let dataSource: DataSource;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    const env = { ...fixture.env, AUDIO_CACHE_ENABLED: 'true' };
    api = await startTestApi(env);
    worker = spawnService('worker', env);
    await worker.waitForOutput(/worker started/);
    dataSource = api.app.get(DataSource);
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.close();
    await upstream?.close();
  });

  const ledger = async (reference: string) =>
    (await dataSource.query(`SELECT kind, amount::int AS amount FROM credit_ledger WHERE reference = $1 ORDER BY id`, [
      reference,
    ])) as Array<{
      kind: string;
      amount: number;
    }>;

  async function bifrost(apiKey: string, method: 'POST' | 'GET', path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: response.status, headers: response.headers, body: (await response.json()) as BifrostJobBody };
  }
  async function bifrostResult(apiKey: string, body: Record<string, unknown>, headers?: Record<string, string>) {
    const created = await bifrost(apiKey, 'POST', '/v1/async/audio/speech', body, headers);
    expect(created.status).toBe(202);
    for (let i = 0; i < 400; i++) {
      const polled = await bifrost(apiKey, 'GET', `/v1/async/audio/speech/${created.body.id}`);
      if (polled.status === 200) return { id: String(created.body.id), ...polled };
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error('the Bifrost job did not finish');
  }

  it('Fish: the second identical task is a hit; its task object says so and it is charged the hit price in the ledger', async () => {
    const { apiKey } = await api.createTenant(1000);
    const first = await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
    const firstDone = await pollUntilTerminal(api, apiKey, String(first.body.id));
    expect(firstDone).toMatchObject({ status: 'succeeded', cache: 'miss', credits: { charged: 18 } });
    const second = await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
    expect(second.body.credits).toEqual({ reserved: 18 });
    const secondDone = await pollUntilTerminal(api, apiKey, String(second.body.id));
    expect(secondDone).toMatchObject({ status: 'succeeded', cache: 'hit', credits: { charged: 2 }, provider: 'fake' });
    expect(upstream.calls).toBe(1);
    const [a, b] = await Promise.all([download(String(firstDone.audioUrl)), download(String(secondDone.audioUrl))]);
    expect(b.bytes.equals(a.bytes)).toBe(true);
    // The signed audio links say it too, as the Sauti job download does.
    expect([a.headers.get('x-cache'), b.headers.get('x-cache')]).toEqual(['miss', 'hit']);
    expect(b.headers.get('access-control-expose-headers')).toContain('X-Cache');
    expect(await ledger(String(first.body.id))).toEqual([
      { kind: 'reserve', amount: -18 },
      { kind: 'settle', amount: 0 },
    ]);
    // The reservation comes back whole and the hit is its own entry: usage reports count it.
    expect(await ledger(String(second.body.id))).toEqual([
      { kind: 'reserve', amount: -18 },
      { kind: 'settle', amount: 18 },
      { kind: 'cache_hit', amount: -2 },
    ]);
  });

  it('Bifrost: result.cache says miss then hit; the entry a job stored serves the OpenAI face, and the other way round', async () => {
    const { tenantId, apiKey } = await api.createTenant(10_000);
    const entries = async () => (await dataSource.query(`SELECT count(*)::int AS n FROM audio_cache WHERE scope = $1`, [tenantId]))[0].n;
    const body = { model: 'fake/fake-model', voice: 'nova', input: 'Kazi ya Bifrost.', response_format: 'wav' };
    const first = await bifrostResult(apiKey, body);
    expect(first.body.result).toMatchObject({ cache: 'miss', credits: 16, provider: 'fake' });
    expect(first.headers.get('x-cache')).toBe('miss');
    // The worker stored it; the api (another process) serves it.
    const sync = await fetch(`${api.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    expect(sync.headers.get('x-cache')).toBe('hit');
    expect(Buffer.from(await sync.arrayBuffer()).equals(Buffer.from(first.body.result.audio, 'base64'))).toBe(true);
    const second = await bifrostResult(apiKey, body);
    expect(second.body.result).toMatchObject({ cache: 'hit', credits: 2 });
    expect(second.body.result.audio).toBe(first.body.result.audio);
    expect(upstream.calls).toBe(1);
    // A synchronous miss fills an entry a job then uses.
    const other = { ...body, input: 'Kwanza kwa haraka.' };
    const direct = await fetch(`${api.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify(other),
    });
    expect(direct.headers.get('x-cache')).toBe('miss');
    await direct.arrayBuffer();
    // Stored once the stream has ended (in the background): the worker, another process, reads the store.
    await eventually(async () => expect(await entries()).toBe(2));
    expect((await bifrostResult(apiKey, other)).body.result.cache).toBe('hit');
  });

  it('Bifrost with timestamps: stored with its sentence spans, a hit returns the same spans', async () => {
    const { apiKey } = await api.createTenant(10_000);
    const body = {
      model: 'fake/fake-model',
      voice: 'nova',
      input: 'Sentensi ya kwanza. Sentensi ya pili.',
      response_format: 'wav',
      with_timestamps: true,
    };
    const first = await bifrostResult(apiKey, body);
    expect(first.body.result.cache).toBe('miss');
    expect(first.body.result.timestamps).toHaveLength(2);
    const calls = upstream.calls;
    const second = await bifrostResult(apiKey, body);
    expect(second.body.result).toMatchObject({ cache: 'hit', timestamps: first.body.result.timestamps, audio: first.body.result.audio });
    expect(upstream.calls).toBe(calls);
    // Without timestamps the same text is other audio (spoken whole, not sentence by sentence): a miss.
    expect((await bifrostResult(apiKey, { ...body, with_timestamps: false })).body.result.cache).toBe('miss');
  });

  it('Cache-Control: no-store on a job keeps it out of the cache; a failed job stores nothing', async () => {
    const { apiKey } = await api.createTenant(10_000);
    const body = { model: 'fake/fake-model', voice: 'nova', input: 'Kazi isiyohifadhiwa.', response_format: 'wav' };
    const bypassed = await bifrostResult(apiKey, body, { 'cache-control': 'no-store' });
    expect(bypassed.body.result).toMatchObject({ cache: 'bypass', credits: [...body.input].length });
    upstream.enqueue({ status: 400, body: { error: { message: 'no such voice' } } });
    const failed = await bifrostResult(apiKey, body);
    expect(failed.body.status).toBe('failed');
    expect((await bifrostResult(apiKey, body)).body.result.cache).toBe('miss');
    expect(upstream.calls).toBe(3);
  });

  it('an Idempotency-Key replay that adds Cache-Control: no-store is the same task (a header, not the body)', async () => {
    const { apiKey } = await api.createTenant(1000);
    const body = { text: 'Ombi lilelile.', voiceId: FAKE_VOICE, format: 'wav' };
    const first = await createTask(api, apiKey, body, { 'idempotency-key': 'cache-replay-1' });
    const replay = await createTask(api, apiKey, body, { 'idempotency-key': 'cache-replay-1', 'cache-control': 'no-store' });
    expect(replay.status).toBe(202);
    expect(replay.body.id).toBe(first.body.id);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
  });

  it('Sauti: a job answered from the cache downloads with x-cache: hit and its hit price', async () => {
    const { apiKey } = await api.createTenant(10_000);
    const sauti = (path: string, init: RequestInit = {}) =>
      fetch(`${api.baseUrl}${path}`, { ...init, headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' } });
    const text = 'Kazi ya Sauti mara mbili.';
    for (const expected of ['miss', 'hit']) {
      const created = (await (
        await sauti('/v1/tts/jobs', { method: 'POST', body: JSON.stringify({ text, voice_id: FAKE_VOICE }) })
      ).json()) as {
        job_id: string;
      };
      await eventually(
        async () => expect(((await (await sauti(`/v1/tts/jobs/${created.job_id}`)).json()) as { status: string }).status).toBe('succeeded'),
        30_000,
        100,
      );
      const audio = await sauti(`/v1/tts/jobs/${created.job_id}/audio`);
      expect(audio.status).toBe(200);
      expect(audio.headers.get('x-cache')).toBe(expected);
      expect(audio.headers.get('x-credits-charged')).toBe(expected === 'hit' ? '3' : String([...text].length));
    }
  });
});
