import { DataSource } from 'typeorm';
import { toneWav } from '../fakes/scriptable-upstream';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';
import { CreditsService } from '../../src/billing/credits.service';
import { toSynthesisRequest } from '../../src/faces/openai/openai-speech.mapper';
import { SpeechService } from '../../src/synthesis/speech.service';

const TEXT = 'Habari za asubuhi, karibu tena.';
const CHARACTERS = [...TEXT].length; // 31 credits a synthesis, 4 a hit (⌈31 × 0.1⌉)

interface Answer {
  status: number;
  headers: Headers;
  bytes: Buffer;
  json?: Record<string, unknown>;
}

/** The audio result cache through the synchronous faces (Sauti JSON, OpenAI file, chunked and SSE), with real PostgreSQL. */
describe('audio cache: synchronous faces', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let dataSource: DataSource;
  let fixtureEnv: Record<string, string>;

  beforeAll(async () => {
    const fixture = await startJobFixture({
      voices: [
        {
          id: 'fake-uncached',
          name: 'The fake upstream, never cached',
          language: 'sw',
          sample_rate: 16000,
          cache: false,
          chain: [{ provider: 'fake', voice: 'fake', model: 'fake-model' }],
        },
        {
          id: 'fake-shared',
          name: 'The fake upstream, one cache for every tenant',
          language: 'sw',
          sample_rate: 16000,
          cache: 'shared',
          chain: [{ provider: 'fake', voice: 'fake', model: 'fake-model' }],
        },
      ],
    });
    upstream = fixture.upstream;
    fixtureEnv = fixture.env;
    api = await startTestApi({ ...fixture.env, AUDIO_CACHE_ENABLED: 'true' });
    dataSource = api.app.get(DataSource);
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  async function call(path: string, apiKey: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
    const response = await fetch(`${api.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'xi-api-key': apiKey, 'content-type': 'application/json', ...headers },
      body: JSON.stringify(body),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const json = response.headers.get('content-type')?.includes('json') ? JSON.parse(bytes.toString()) : undefined;
    return { status: response.status, headers: response.headers, bytes, json };
  }
  const sauti = (apiKey: string, voice: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    call(`/v1/text-to-speech/${voice}`, apiKey, body, headers);
  const openai = (apiKey: string, body: Record<string, unknown>, headers?: Record<string, string>) =>
    call('/v1/audio/speech', apiKey, { model: 'fake/fake-model', voice: 'nova', response_format: 'wav', input: TEXT, ...body }, headers);
  const ledger = async (tenantId: string) =>
    (await dataSource.query(`SELECT kind, amount::int AS amount FROM credit_ledger WHERE tenant_id = $1 AND kind <> 'topup' ORDER BY id`, [
      tenantId,
    ])) as Array<{ kind: string; amount: number }>;
  const balance = async (tenantId: string) =>
    Number((await dataSource.query(`SELECT credit_balance FROM tenants WHERE id = $1`, [tenantId]))[0].credit_balance);

  it('Sauti: the second identical request is a hit: same audio, no upstream call, charged the hit price as cache_hit', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    const first = await sauti(apiKey, FAKE_VOICE, { text: TEXT });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(first.headers.get('x-credits-charged')).toBe(String(CHARACTERS));
    // The first answer's settle runs after its response: let it land so the ledger's order is the requests' order.
    await eventually(async () => expect((await ledger(tenantId)).map((row) => row.kind)).toEqual(['reserve', 'settle']));
    const second = await sauti(apiKey, FAKE_VOICE, { text: TEXT });
    expect(second.status).toBe(200);
    expect(second.headers.get('x-cache')).toBe('hit');
    expect(second.headers.get('x-tts-provider')).toBe('fake');
    expect(second.headers.get('x-credits-charged')).toBe('4');
    expect(second.json!.audio_base64).toBe(first.json!.audio_base64);
    expect(second.json!.duration_seconds).toBe(first.json!.duration_seconds);
    expect(upstream.calls).toBe(1);
    await eventually(async () => expect((await ledger(tenantId)).map((row) => row.kind)).toEqual(['reserve', 'settle', 'cache_hit']));
    expect((await ledger(tenantId))[2].amount).toBe(-4);
    // The statement that read the entry charged it, naming the entry's provider and length for the usage report.
    const [event] = await dataSource.query(
      `SELECT provider, audio_seconds, characters, cache_hit, status FROM usage_events WHERE tenant_id = $1 AND cache_hit`,
      [tenantId],
    );
    expect(event).toMatchObject({ provider: 'fake', characters: CHARACTERS, cache_hit: true, status: 'succeeded' });
    expect(event.audio_seconds).toBeCloseTo(Number(first.json!.duration_seconds), 1);
    // A third request is served from this process's copy (its base64 text kept): the same bytes, exactly what
    // JSON.stringify writes for the answer, with JSON's content type and length.
    const third = await sauti(apiKey, FAKE_VOICE, { text: TEXT });
    expect(third.headers.get('x-cache')).toBe('hit');
    expect(third.bytes.equals(second.bytes)).toBe(true);
    expect(third.bytes.toString()).toBe(JSON.stringify(third.json));
    expect(third.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(third.headers.get('content-length')).toBe(String(third.bytes.length));
    expect(Object.keys(third.json!)).toEqual(['audio_base64', 'content_type', 'duration_seconds', 'characters_synthesized', 'voice_id']);
    await eventually(async () => expect(await ledger(tenantId)).toHaveLength(4));
    // The books balance: the balance is the ledger's sum, and the three answers cost 31 + 4 + 4.
    const sum = await dataSource.query(`SELECT sum(amount)::int AS sum FROM credit_ledger WHERE tenant_id = $1`, [tenantId]);
    expect(await balance(tenantId)).toBe(sum[0].sum);
    expect(await balance(tenantId)).toBe(1000 - CHARACTERS - 4 - 4);
  });

  it('OpenAI: the whole file, chunked audio and SSE all hit once the first answer is stored; a hit states its length', async () => {
    const { apiKey } = await api.createTenant(1000);
    const input = 'Sentensi ya OpenAI, mara mbili.';
    const first = await openai(apiKey, { input });
    expect(first.headers.get('x-cache')).toBe('miss');
    const whole = await openai(apiKey, { input });
    expect(whole.headers.get('x-cache')).toBe('hit');
    expect(whole.headers.get('content-length')).toBe(String(whole.bytes.length));
    expect(whole.bytes.equals(first.bytes)).toBe(true);
    const chunked = await openai(apiKey, { input, stream_format: 'audio' });
    expect(chunked.headers.get('x-cache')).toBe('hit');
    expect(chunked.bytes.equals(first.bytes)).toBe(true);
    const sse = await openai(apiKey, { input, stream_format: 'sse' });
    expect(sse.headers.get('x-cache')).toBe('hit');
    const events = sse.bytes
      .toString()
      .split('\n\n')
      .filter((block) => block.startsWith('data: '))
      .map((block) => JSON.parse(block.slice(6)));
    const audio = Buffer.concat(events.filter((e) => e.type === 'speech.audio.delta').map((e) => Buffer.from(e.audio, 'base64')));
    expect(audio.equals(first.bytes)).toBe(true);
    expect(events.at(-1).type).toBe('speech.audio.done');
    expect(upstream.calls).toBe(1);
  });

  it('ElevenLabs: convert and stream hit once the audio is stored; the output format is part of the key', async () => {
    const { apiKey } = await api.createTenant(10_000);
    const path = (suffix: string, format = 'mp3_44100_128') =>
      `/elevenlabs/v1/text-to-speech/${FAKE_VOICE}${suffix}?output_format=${format}`;
    const text = 'Sauti ya ElevenLabs.';
    const first = await call(path(''), apiKey, { text });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    const again = await call(path(''), apiKey, { text });
    expect(again.headers.get('x-cache')).toBe('hit');
    expect(again.bytes.equals(first.bytes)).toBe(true);
    const streamed = await call(path('/stream'), apiKey, { text });
    expect(streamed.headers.get('x-cache')).toBe('hit');
    expect(streamed.bytes.equals(first.bytes)).toBe(true);
    expect((await call(path('', 'pcm_16000'), apiKey, { text })).headers.get('x-cache')).toBe('miss');
  });

  it('ElevenLabs with timestamps: stored with its sentence spans; both timestamp endpoints then hit with the same audio and alignment', async () => {
    const { tenantId, apiKey } = await api.createTenant(10_000);
    const path = (suffix: string) => `/elevenlabs/v1/text-to-speech/${FAKE_VOICE}${suffix}?output_format=pcm_16000`;
    const text = 'Sentensi ya kwanza. Na ya pili!'; // two sentences, 31 credits, a hit 4
    const first = await call(path('/with-timestamps'), apiKey, { text });
    expect(first.status).toBe(200);
    expect(first.headers.get('x-cache')).toBe('miss');
    expect(upstream.calls).toBe(2); // spoken sentence by sentence
    const alignment = first.json!.alignment as { characters: string[]; character_start_times_seconds: number[] };
    expect(alignment.characters.join('')).toBe(text);
    // Without timestamps the text is spoken whole: other audio, another entry.
    expect((await call(path(''), apiKey, { text })).headers.get('x-cache')).toBe('miss');
    await eventually(async () =>
      expect((await ledger(tenantId)).map((row) => row.kind)).toEqual(['reserve', 'settle', 'reserve', 'settle']),
    );
    const again = await call(path('/with-timestamps'), apiKey, { text });
    expect(again.headers.get('x-cache')).toBe('hit');
    expect(again.json).toEqual(first.json);
    const lines = (await call(path('/stream/with-timestamps'), apiKey, { text })).bytes.toString().trim().split('\n');
    const streamed = lines.map((line) => JSON.parse(line) as { audio_base64: string; alignment?: typeof alignment });
    expect(Buffer.concat(streamed.map((line) => Buffer.from(line.audio_base64, 'base64'))).toString('base64')).toBe(
      first.json!.audio_base64,
    );
    expect(streamed.flatMap((line) => line.alignment?.character_start_times_seconds ?? [])).toEqual(
      alignment.character_start_times_seconds,
    );
    expect(upstream.calls).toBe(3);
    await eventually(async () =>
      expect((await ledger(tenantId)).slice(4)).toEqual([
        { kind: 'cache_hit', amount: -4 },
        { kind: 'cache_hit', amount: -4 },
      ]),
    );
  });

  describe('the key', () => {
    let apiKey: string;
    beforeAll(async () => ({ apiKey } = await api.createTenant(1_000_000)));

    it.each<[string, Record<string, unknown>]>([
      ['the text', { input: `${TEXT} Tena.` }],
      ['the speed (honoured by the upstream)', { speed: 1.5 }],
      ['the voice (the upstream takes one)', { voice: 'alloy' }],
      ['the instructions (the upstream takes them)', { instructions: 'Ongea polepole.' }],
      ['the output format', { response_format: 'mp3' }],
      ['the model', { model: 'fake-pcm/fake-model' }],
    ])('changes with %s', async (_what, change) => {
      const base = await openai(apiKey, { input: `Ufunguo: ${_what}.` });
      expect(base.headers.get('x-cache')).toBe('miss');
      const changed = await openai(apiKey, { input: `Ufunguo: ${_what}.`, ...change });
      expect(changed.status).toBe(200);
      expect(changed.headers.get('x-cache')).toBe('miss');
      expect(upstream.calls).toBe(2);
    });

    it("does not change with what the engine ignores: eSpeak's voice name, and speeds past its fastest pace", async () => {
      const espeak = (body: Record<string, unknown>) =>
        call('/v1/audio/speech', apiKey, { model: 'espeak/sw', voice: 'alloy', response_format: 'wav', input: 'Haraka sana.', ...body });
      expect((await espeak({ speed: 3 })).headers.get('x-cache')).toBe('miss');
      // 3 × 175 and 4 × 175 words a minute are both past eSpeak's 450: the same audio, so the same entry.
      const faster = await espeak({ speed: 4, voice: 'nova' });
      expect(faster.status).toBe(200);
      expect(faster.headers.get('x-tts-provider')).toBe('espeak');
      expect(faster.headers.get('x-cache')).toBe('hit');
      expect((await espeak({ speed: 1 })).headers.get('x-cache')).toBe('miss');
    });

    it('VITS: the text after the Swahili normaliser and NFC is the key; the voice VITS ignores is not; noise settings are', async () => {
      const vits = (body: Record<string, unknown>) =>
        call('/v1/audio/speech', apiKey, { model: 'vits/sauti-test-v1', voice: 'alloy', response_format: 'wav', ...body });
      const first = await vits({ input: 'Nina shilingi 5.' });
      expect(first.headers.get('x-tts-provider')).toBe('vits');
      expect(first.headers.get('x-cache')).toBe('miss');
      // "5" is read "tano" by the normaliser; whitespace folds; another voice name means nothing to VITS.
      expect((await vits({ input: 'Nina  shilingi tano.', voice: 'nova' })).headers.get('x-cache')).toBe('hit');
      // NFC: "é" as one code point or as e + combining accent is one text.
      expect((await vits({ input: 'Caf\u00e9 ya leo.' })).headers.get('x-cache')).toBe('miss');
      expect((await vits({ input: 'Cafe\u0301 ya leo.' })).headers.get('x-cache')).toBe('hit');
      const sauti1 = await sauti(apiKey, 'sauti-test-v1', { text: 'Kelele kidogo.', voice_settings: { noise_scale: 0.3 } });
      expect(sauti1.headers.get('x-cache')).toBe('miss');
      const sauti2 = await sauti(apiKey, 'sauti-test-v1', { text: 'Kelele kidogo.', voice_settings: { noise_scale: 0.5 } });
      expect(sauti2.headers.get('x-cache')).toBe('miss');
      // The defaults written out are the defaults: the same entry as a request that leaves them out.
      await sauti(apiKey, 'sauti-test-v1', { text: 'Chaguo-msingi.' });
      const explicit = await sauti(apiKey, 'sauti-test-v1', {
        text: 'Chaguo-msingi.',
        voice_settings: { speaking_rate: 1, noise_scale: 0.667, noise_scale_duration: 0.8 },
      });
      expect(explicit.headers.get('x-cache')).toBe('hit');
    });

    it('the VITS noise settings do not change the key of an OpenAI-compatible upstream, which ignores them', async () => {
      const { apiKey: own } = await api.createTenant(1000);
      await sauti(own, FAKE_VOICE, { text: 'Mipangilio ya kelele.', voice_settings: { noise_scale: 0.1 } });
      const other = await sauti(own, FAKE_VOICE, { text: 'Mipangilio ya kelele.', voice_settings: { noise_scale: 0.9 } });
      expect(other.headers.get('x-cache')).toBe('hit');
      expect(upstream.calls).toBe(1);
    });
  });

  it('tenants never share entries: another tenant misses, is charged in full, and the upstream is called again', async () => {
    const a = await api.createTenant(1000);
    const b = await api.createTenant(1000);
    expect((await sauti(a.apiKey, FAKE_VOICE, { text: TEXT })).headers.get('x-cache')).toBe('miss');
    const other = await sauti(b.apiKey, FAKE_VOICE, { text: TEXT });
    expect(other.headers.get('x-cache')).toBe('miss');
    expect(other.headers.get('x-credits-charged')).toBe(String(CHARACTERS));
    expect(upstream.calls).toBe(2);
  });

  it('a route with cache: shared serves every tenant from one entry', async () => {
    const a = await api.createTenant(1000);
    const b = await api.createTenant(1000);
    const text = `Pamoja kwa wote ${Date.now()}.`;
    expect((await sauti(a.apiKey, 'fake-shared', { text })).headers.get('x-cache')).toBe('miss');
    expect((await sauti(b.apiKey, 'fake-shared', { text })).headers.get('x-cache')).toBe('hit');
    expect(upstream.calls).toBe(1);
  });

  it('Cache-Control: no-store neither reads nor writes the cache; a route with cache: false is never cached', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    const text = 'Usihifadhi hii.';
    const noStore = await sauti(apiKey, FAKE_VOICE, { text }, { 'cache-control': 'private, No-Store' });
    expect(noStore.headers.get('x-cache')).toBe('bypass');
    expect((await sauti(apiKey, FAKE_VOICE, { text })).headers.get('x-cache')).toBe('miss');
    expect((await sauti(apiKey, FAKE_VOICE, { text }, { 'cache-control': 'no-store' })).headers.get('x-cache')).toBe('bypass');
    expect(upstream.calls).toBe(3);
    for (let i = 0; i < 2; i++) expect((await sauti(apiKey, 'fake-uncached', { text })).headers.get('x-cache')).toBe('bypass');
    expect(upstream.calls).toBe(5);
    const entries = await dataSource.query(`SELECT count(*)::int AS n FROM audio_cache WHERE scope = $1`, [tenantId]);
    expect(entries[0].n).toBe(1);
  });

  it('a failed synthesis is never stored: an upstream error, a stream cut halfway, a client that hangs up', async () => {
    const { tenantId, apiKey } = await api.createTenant(10_000);
    const entries = async () => (await dataSource.query(`SELECT count(*)::int AS n FROM audio_cache WHERE scope = $1`, [tenantId]))[0].n;
    upstream.enqueue({ status: 500, body: { error: { message: 'boom' } } });
    expect((await openai(apiKey, { input: 'Itashindwa.' })).status).toBeGreaterThanOrEqual(500);
    // The body in ten pieces, the connection cut after three: the client gets a broken stream.
    upstream.enqueue({
      status: 200,
      headers: { 'content-type': 'audio/wav' },
      body: toneWav(1, 24000),
      pieces: { count: 10, intervalMs: 20, failAfter: 3 },
    });
    await fetch(`${api.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'fake/fake-model',
        voice: 'nova',
        input: 'Itakatika.',
        response_format: 'wav',
        stream_format: 'audio',
      }),
    })
      .then((response) => response.arrayBuffer())
      .catch(() => undefined);
    // The client hangs up after the first bytes of a slow answer.
    upstream.enqueue({
      status: 200,
      headers: { 'content-type': 'audio/wav' },
      body: toneWav(1, 24000),
      pieces: { count: 10, intervalMs: 100 },
    });
    const controller = new AbortController();
    const response = await fetch(`${api.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'fake/fake-model',
        voice: 'nova',
        input: 'Nitaondoka.',
        response_format: 'wav',
        stream_format: 'audio',
      }),
      signal: controller.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    controller.abort();
    await eventually(() => expect(upstream.requests.at(-1)!.abandoned).toBe(true));
    expect(await entries()).toBe(0);
    // Each of them is synthesized again, and now stored.
    for (const input of ['Itashindwa.', 'Itakatika.', 'Nitaondoka.'])
      expect((await openai(apiKey, { input })).headers.get('x-cache')).toBe('miss');
    expect(upstream.calls).toBe(6);
    await eventually(async () => expect(await entries()).toBe(3));
  });

  it('two identical requests at once: one synthesis; both get the whole audio; one pays the reservation, the other the hit price', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000), delayMs: 300 });
    const [one, two] = await Promise.all([sauti(apiKey, FAKE_VOICE, { text: TEXT }), sauti(apiKey, FAKE_VOICE, { text: TEXT })]);
    expect([one.status, two.status]).toEqual([200, 200]);
    expect([one.headers.get('x-cache'), two.headers.get('x-cache')].sort()).toEqual(['hit', 'miss']);
    expect(one.json!.audio_base64).toBe(two.json!.audio_base64);
    expect(upstream.calls).toBe(1);
    await eventually(async () =>
      expect((await ledger(tenantId)).map((row) => row.kind).sort()).toEqual(['cache_hit', 'reserve', 'settle']),
    );
    expect(await balance(tenantId)).toBe(1000 - CHARACTERS - 4);
  });

  it('two identical requests at once on two api processes: one synthesis, the other waits for its entry', async () => {
    const other = await startTestApi({ ...fixtureEnv, AUDIO_CACHE_ENABLED: 'true' });
    try {
      const { apiKey } = await api.createTenant(1000);
      const text = 'Michakato miwili, sauti moja.';
      upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000), delayMs: 400 });
      const onOther = (body: Record<string, unknown>) =>
        fetch(`${other.baseUrl}/v1/text-to-speech/${FAKE_VOICE}`, {
          method: 'POST',
          headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        });
      const first = sauti(apiKey, FAKE_VOICE, { text });
      await eventually(() => expect(upstream.calls).toBe(1)); // the first api has claimed the entry and is synthesizing
      const second = await onOther({ text });
      expect(second.status).toBe(200);
      expect(second.headers.get('x-cache')).toBe('hit');
      const firstAnswer = await first;
      expect(firstAnswer.headers.get('x-cache')).toBe('miss');
      expect(((await second.json()) as { audio_base64: string }).audio_base64).toBe(firstAnswer.json!.audio_base64);
      expect(upstream.calls).toBe(1);
    } finally {
      await other.close();
    }
  });

  it('a hit the balance cannot pay is 402 in the face envelope, and charges nothing', async () => {
    const text = 'Salio dogo.'; // 11 credits, a hit 2
    const { tenantId, apiKey } = await api.createTenant(12);
    expect((await sauti(apiKey, FAKE_VOICE, { text })).status).toBe(200);
    await eventually(async () => expect(await ledger(tenantId)).toHaveLength(2));
    const used = async () =>
      (await dataSource.query(`SELECT last_used_at::text AS at FROM audio_cache WHERE scope = $1`, [tenantId]))[0]?.at as
        string | undefined;
    await eventually(async () => expect(await used()).toBeDefined());
    const usedBefore = await used();
    const refused = await sauti(apiKey, FAKE_VOICE, { text });
    expect(refused.status).toBe(402);
    // The one statement that reads and charges a hit was rolled back whole: the entry is not marked used either.
    expect(await used()).toBe(usedBefore);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect((await ledger(tenantId)).map((row) => row.kind)).toEqual(['reserve', 'settle']);
    expect(await balance(tenantId)).toBe(1);
  });

  describe('a streamed hit whose first byte never reaches the client', () => {
    const input = 'Sentensi ambayo mteja hataisikia.'; // 33 credits, a hit 4
    async function hitStream(tenantId: string) {
      const [{ id: apiKeyId }] = await dataSource.query(`SELECT id FROM api_keys WHERE tenant_id = $1`, [tenantId]);
      const speech = api.app.get(SpeechService);
      const prepared = await speech.prepare(toSynthesisRequest({ model: 'fake/fake-model', voice: 'nova', response_format: 'wav', input }));
      const stream = await speech.stream(prepared, { tenantId, apiKeyId, requestId: `test-${Date.now()}`, face: 'openai' });
      expect(stream.cache).toBe('hit');
      return { stream, apiKeyId: apiKeyId as string };
    }
    const spent = async (apiKeyId: string) =>
      Number((await dataSource.query(`SELECT period_spent FROM api_keys WHERE id = $1`, [apiKeyId]))[0].period_spent);
    const hourly = async (tenantId: string) =>
      (await dataSource.query(
        `SELECT status, sum(requests)::int AS requests, sum(charged)::int AS charged, sum(refunded)::int AS refunded, sum(cache_hits)::int AS hits
           FROM usage_hourly WHERE tenant_id = $1 GROUP BY status ORDER BY status`,
        [tenantId],
      )) as Array<{ status: string; requests: number; charged: number; refunded: number; hits: number }>;

    it('is given back: balance, key spend, usage event and hourly rollup, with a release entry; the books balance', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      expect((await openai(apiKey, { input })).headers.get('x-cache')).toBe('miss');
      await eventually(async () => expect((await ledger(tenantId)).map((row) => row.kind)).toEqual(['reserve', 'settle']));
      const { stream, apiKeyId } = await hitStream(tenantId);
      expect(await balance(tenantId)).toBe(1000 - 33 - 4); // charged by the statement that read it
      // The face took the file but the client was gone before the write (sendAudioStream then ends the stream).
      const chunks = stream.chunks[Symbol.asyncIterator]();
      expect((await chunks.next()).done).toBe(false);
      await chunks.return!(undefined);
      await eventually(async () =>
        expect((await ledger(tenantId)).map((row) => row.kind)).toEqual(['reserve', 'settle', 'cache_hit', 'release']),
      );
      expect((await ledger(tenantId)).slice(2)).toEqual([
        { kind: 'cache_hit', amount: -4 },
        { kind: 'release', amount: 4 },
      ]);
      expect(await balance(tenantId)).toBe(1000 - 33);
      const sum = await dataSource.query(`SELECT sum(amount)::int AS sum FROM credit_ledger WHERE tenant_id = $1`, [tenantId]);
      expect(await balance(tenantId)).toBe(sum[0].sum);
      expect(await spent(apiKeyId)).toBe(33);
      const [event] = await dataSource.query(
        `SELECT status, reserved::int AS reserved, refunded::int AS refunded FROM usage_events WHERE tenant_id = $1 AND cache_hit`,
        [tenantId],
      );
      expect(event).toEqual({ status: 'cancelled', reserved: 4, refunded: 4 });
      expect(await hourly(tenantId)).toEqual([
        { status: 'cancelled', requests: 1, charged: 0, refunded: 4, hits: 1 },
        { status: 'succeeded', requests: 1, charged: 33, refunded: 0, hits: 0 },
      ]);
      // A second refund of the same hit does nothing.
      const [{ reference }] = await dataSource.query(`SELECT reference FROM credit_ledger WHERE tenant_id = $1 AND kind = 'cache_hit'`, [
        tenantId,
      ]);
      expect(await api.app.get(CreditsService).refundCacheHit(reference)).toBe(false);
      expect(await balance(tenantId)).toBe(1000 - 33);
    });

    it('stays charged once its first chunk was written, and when it was read to its end', async () => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      expect((await openai(apiKey, { input })).headers.get('x-cache')).toBe('miss');
      await eventually(async () => expect(await ledger(tenantId)).toHaveLength(2));
      const delivered = (await hitStream(tenantId)).stream;
      const chunks = delivered.chunks[Symbol.asyncIterator]();
      await chunks.next();
      delivered.markDelivered();
      await chunks.return!(undefined); // the client left after the first write
      const whole = (await hitStream(tenantId)).stream;
      for await (const chunk of whole.chunks) expect(chunk.length).toBeGreaterThan(0); // read to the end, never marked
      await new Promise((resolve) => setTimeout(resolve, 300)); // a refund would run in the background
      expect((await ledger(tenantId)).map((row) => row.kind)).toEqual(['reserve', 'settle', 'cache_hit', 'cache_hit']);
      expect(await balance(tenantId)).toBe(1000 - 33 - 4 - 4);
      expect(await hourly(tenantId)).toEqual([{ status: 'succeeded', requests: 3, charged: 41, refunded: 0, hits: 2 }]);
    });
  });

  it('the Sauti OpenAPI document names Cache-Control on requests and x-cache on answers', async () => {
    const spec = (await (await fetch(`${api.baseUrl}/docs-json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: Array<{ name: string }>; responses: Record<string, { headers?: object }> }>>;
    };
    const speak = spec.paths['/v1/text-to-speech/{voice_id}'].post;
    expect(speak.parameters!.map((parameter) => parameter.name)).toContain('Cache-Control');
    expect(Object.keys(speak.responses['200'].headers ?? {})).toContain('x-cache');
    expect(spec.paths['/v1/tts/jobs'].post.parameters!.map((parameter) => parameter.name)).toContain('Cache-Control');
    expect(Object.keys(spec.paths['/v1/tts/jobs/{job_id}/audio'].get.responses['200'].headers ?? {})).toContain('x-cache');
  });

  it('/metrics counts hits, misses, stores and evictions, with hit latency; /health/ready shows the size', async () => {
    const { apiKey } = await api.createTenant(1000);
    await sauti(apiKey, FAKE_VOICE, { text: 'Vipimo.' });
    await sauti(apiKey, FAKE_VOICE, { text: 'Vipimo.' });
    const metrics = await (await fetch(`${api.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^tts_audio_cache_hits_total\{use="request"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^tts_audio_cache_misses_total\{use="request"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^tts_audio_cache_stores_total\{outcome="stored"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^tts_audio_cache_hit_seconds_count\{use="request"\} [1-9]\d*$/m);
    expect(metrics).toMatch(/^tts_audio_cache_stored_bytes [1-9]\d*$/m);
    expect(metrics).toMatch(/^tts_audio_cache_bypassed_total\{use="request",reason="no_store"\} [1-9]\d*$/m);
    expect(metrics).toContain('# TYPE tts_audio_cache_evictions_total counter');
    const ready = (await (await fetch(`${api.baseUrl}/health/ready`)).json()) as { details: { audio_cache: Record<string, number> } };
    const usage = await dataSource.query(`SELECT entries::int AS entries, bytes::int AS bytes FROM audio_cache_usage`);
    expect(ready.details.audio_cache).toMatchObject({ state: 'up', enabled: true, entries: usage[0].entries, bytes: usage[0].bytes });
    expect(ready.details.audio_cache.bytes).toBeGreaterThan(0);
  });
});
