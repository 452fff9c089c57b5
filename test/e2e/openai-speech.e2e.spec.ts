import OpenAI from 'openai';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AudioPipeline } from '../../src/audio/audio-pipeline';
import { decodeWav, floatToPcm16 } from '../../src/audio/wav';
import { CreditsService } from '../../src/billing/credits.service';
import { RequestFailure, RequestFailureListeners } from '../../src/common/errors/request-failures';
import type { AudioFormat as AnyAudioFormat } from '../../src/synthesis/synthesis-request';

/** The formats the OpenAI face offers (G.711 is the ElevenLabs face's only). */
type AudioFormat = Exclude<AnyAudioFormat, 'ulaw' | 'alaw'>;
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { toneSamples, toneWav } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';
import { ffmpegChildren, probeAudio } from '../unit/audio/audio-probe';

const THREE_SENTENCES = 'Habari ya asubuhi. Leo ni siku nzuri sana. Tutaonana kesho jioni.';
/** Long enough for three router calls in a streaming plan: the first sentence, then ≤ 250, then the rest. */
const LONG_TEXT = Array.from(
  { length: 8 },
  (_, i) => `Sentensi namba ${i + 1} inaeleza jambo moja kwa maneno mengi ya kutosha kujaza nafasi.`,
).join(' ');
/** A second of tone at 24 kHz as our encoder writes `format` (what an upstream answering that format sends). */
async function encodedTone(format: AudioFormat): Promise<Buffer> {
  const pipeline = new AudioPipeline();
  try {
    return (await pipeline.encode(toneSamples(1, 24000), 24000, { format, sampleRate: 24000 })).bytes;
  } finally {
    pipeline.close();
  }
}

const FORMATS: AudioFormat[] = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'];
const EXTENSIONS: Record<AudioFormat, string> = { mp3: 'mp3', opus: 'opus', aac: 'aac', flac: 'flac', wav: 'wav', pcm: 'pcm' };

interface SseEvent {
  type: string;
  audio?: string;
  usage?: { input_tokens: number; output_tokens: number; total_tokens: number };
  error?: { message: string; type: string; param: string | null; code: string };
  receivedAt: number;
}

/** Reads an SSE body as OpenAI's SDK users do: `data:` lines, one JSON event each. */
async function readSse(body: ReadableStream<Uint8Array>): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of body as unknown as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, end);
      buffered = buffered.slice(end + 2);
      const data = block.split('\n').find((line) => line.startsWith('data: '));
      if (data) events.push({ ...JSON.parse(data.slice(6)), receivedAt: performance.now() });
    }
  }
  return events;
}

describe('OpenAI-compatible POST /v1/audio/speech', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let client: OpenAI;
  let tenantId: string;
  let apiKey: string;

  beforeAll(async () => {
    const fixture = await startJobFixture({
      voices: [
        {
          id: 'fake-with-fallback',
          name: 'The fake upstream, then the same one offering PCM only',
          language: 'sw',
          sample_rate: 16000,
          chain: [
            { provider: 'fake', voice: 'fake', model: 'fake-model' },
            { provider: 'fake-pcm', voice: 'fake', model: 'fake-model' },
          ],
        },
      ],
    });
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
    ({ tenantId, apiKey } = await api.createTenant(1_000_000));
    client = new OpenAI({ baseURL: `${api.baseUrl}/v1`, apiKey, maxRetries: 0 });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  it('the openai SDK gets the whole file, billed per character, with who served it', async () => {
    const before = (await api.app.get(CreditsService).summary(tenantId)).balance;
    const response = await client.audio.speech
      .create({ model: 'vits/sauti-test-v1', voice: 'alloy', input: 'Habari ya leo, rafiki.', response_format: 'wav' })
      .asResponse();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('audio/wav');
    expect(response.headers.get('x-tts-provider')).toBe('vits');
    // vits voices are named by the model, so `voice` has no effect and the client is told.
    expect(response.headers.get('x-ignored-fields')).toBe('voice');
    const wav = decodeWav(Buffer.from(await response.arrayBuffer()));
    expect(wav.sampleRate).toBe(16000);
    expect(wav.samples.length).toBeGreaterThan(1600);
    const after = (await api.app.get(CreditsService).summary(tenantId)).balance;
    expect(before - after).toBe([...'Habari ya leo, rafiki.'].length);
  });

  it.each(FORMATS)('%s through the API decodes with ffprobe at the right rate and duration', async (format) => {
    const response = await client.audio.speech
      .create({ model: 'fake/fake-model', voice: 'nova', input: 'Sekunde nusu.', response_format: format })
      .asResponse();
    const bytes = Buffer.from(await response.arrayBuffer());
    const contentType = response.headers.get('content-type')!;
    const rate = format === 'pcm' ? Number(/rate=(\d+)/.exec(contentType)![1]) : undefined;
    const probed = await probeAudio(bytes, EXTENSIONS[format], rate ? ['-f', 's16le', '-ar', String(rate), '-ac', '1'] : []);
    expect(probed.channels).toBe(1);
    // OpenAI's own 24 kHz (the upstream's 16 kHz resampled), which every codec here takes but Opus (48 kHz in Ogg).
    expect(probed.sampleRate).toBe(format === 'opus' ? 48000 : 24000);
    // The fake upstream answers 0.5 s of tone; lossy codecs add at most a few tens of ms of priming.
    expect(probed.durationSeconds).toBeGreaterThan(0.49);
    expect(probed.durationSeconds).toBeLessThan(0.6);
    expect(JSON.parse(upstream.requests[0].body.toString()).voice).toBe('nova');
  });

  /** 1 s of 24 kHz audio that the upstream sends in ten pieces, 200 ms apart: it finishes after 1.8 s. */
  const SLOW = { count: 10, intervalMs: 200 };
  const second = () => floatToPcm16(toneSamples(1, 24000));

  async function readBody(response: Response): Promise<{ bytes: Buffer; firstAt: number }> {
    const chunks: Buffer[] = [];
    let firstAt = 0;
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      if (chunk.length > 0) firstAt ||= performance.now();
      chunks.push(Buffer.from(chunk));
    }
    return { bytes: Buffer.concat(chunks), firstAt };
  }

  describe.each<[string, 'audio' | undefined]>([
    ['the file', undefined],
    ['stream_format "audio"', 'audio'],
  ])('%s streams as the upstream produces it', (_label, streamFormat) => {
    it.each<[AudioFormat, string]>([
      ['pcm', 'audio/pcm'],
      ['wav', 'audio/wav'],
      ['mp3', 'audio/mpeg'],
    ])(
      '%s passes through: the first bytes arrive while the upstream is at its first pieces, byte for byte its own',
      async (format, contentType) => {
        const file = format === 'pcm' ? second() : await encodedTone(format);
        upstream.enqueue({ status: 200, headers: { 'content-type': contentType }, body: file, pieces: SLOW });
        const response = await client.audio.speech
          .create({
            model: 'fake/fake-model',
            voice: 'nova',
            input: THREE_SENTENCES,
            response_format: format,
            ...(streamFormat ? { stream_format: streamFormat } : {}),
          })
          .asResponse();
        const { bytes, firstAt } = await readBody(response);

        expect(JSON.parse(upstream.requests[0].body.toString()).response_format).toBe(format);
        expect(firstAt).toBeLessThan(upstream.requests[0].piecesSentAt[2]);
        expect(bytes.equals(file)).toBe(true);
        expect(response.headers.get('content-type')).toMatch(new RegExp(`^${contentType}`));
      },
    );

    it('mp3 transcoded from a PCM-only upstream: the first bytes arrive while the upstream is at its first pieces, right rate and duration', async () => {
      upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/pcm' }, body: second(), pieces: SLOW });
      const response = await client.audio.speech
        .create({
          model: 'fake-pcm/fake-model',
          voice: 'nova',
          input: THREE_SENTENCES,
          response_format: 'mp3',
          ...(streamFormat ? { stream_format: streamFormat } : {}),
        })
        .asResponse();
      const { bytes, firstAt } = await readBody(response);

      expect(JSON.parse(upstream.requests[0].body.toString()).response_format).toBe('pcm');
      expect(firstAt).toBeLessThan(upstream.requests[0].piecesSentAt[2]);
      const probed = await probeAudio(bytes, 'mp3');
      expect(probed.sampleRate).toBe(24000);
      expect(Math.abs(probed.durationSeconds - 1)).toBeLessThan(0.1);
    });
  });

  it('a WAV the upstream streams with placeholder sizes: a file client gets it with exact sizes, stream_format "audio" gets its bytes', async () => {
    const file = await encodedTone('wav');
    const streamed = Buffer.from(file);
    streamed.writeUInt32LE(0xffffffff, 4); // RIFF size
    streamed.writeUInt32LE(0xffffffff, 40); // data size
    const answer = { status: 200, headers: { 'content-type': 'audio/wav' }, body: streamed, pieces: { count: 4, intervalMs: 20 } };
    upstream.enqueue(answer, answer);
    const ask = (streamFormat?: 'audio') =>
      client.audio.speech
        .create({
          model: 'fake/fake-model',
          voice: 'nova',
          input: THREE_SENTENCES,
          response_format: 'wav',
          ...(streamFormat ? { stream_format: streamFormat } : {}),
        })
        .asResponse();
    const asFile = Buffer.from(await (await ask()).arrayBuffer());
    expect(asFile.readUInt32LE(4)).toBe(asFile.length - 8);
    expect(asFile.equals(file)).toBe(true);
    const asStream = Buffer.from(await (await ask('audio')).arrayBuffer());
    expect(asStream.equals(streamed)).toBe(true);
  });

  it('a WAV transcoded from PCM of unknown length (chunked, no Content-Length): a file client gets exact sizes and every sample', async () => {
    const pcm = second();
    upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/pcm' }, body: pcm, pieces: { count: 4, intervalMs: 20 } });
    const response = await client.audio.speech
      .create({ model: 'fake-pcm/fake-model', voice: 'nova', input: THREE_SENTENCES, response_format: 'wav' })
      .asResponse();
    const file = Buffer.from(await response.arrayBuffer());
    expect(response.headers.get('content-length')).toBe(String(file.length));
    expect(file.readUInt32LE(4)).toBe(file.length - 8);
    expect(file.toString('ascii', 36, 40)).toBe('data');
    expect(file.readUInt32LE(40)).toBe(file.length - 44);
    // The upstream's 1 s at 24 kHz, OpenAI's own rate: no resampling, every sample kept.
    const wav = decodeWav(file);
    expect(wav.sampleRate).toBe(24000);
    expect(wav.samples.length).toBe(24000);
  });

  it('stream_format "sse": deltas as the upstream produces them, the bytes its own, then done with usage', async () => {
    const pcm = second();
    upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/pcm' }, body: pcm, pieces: SLOW });
    const response = await client.audio.speech
      .create({ model: 'fake/fake-model', voice: 'nova', input: LONG_TEXT, response_format: 'pcm', stream_format: 'sse' })
      .asResponse();
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(response.headers.get('x-tts-provider')).toBe('fake');
    const events = await readSse(response.body!);
    const deltas = events.filter((event) => event.type === 'speech.audio.delta');

    expect(upstream.calls).toBe(1);
    expect(deltas.length).toBeGreaterThanOrEqual(5);
    expect(deltas[0].receivedAt).toBeLessThan(upstream.requests[0].piecesSentAt[2]);
    expect(Buffer.concat(deltas.map((delta) => Buffer.from(delta.audio!, 'base64'))).equals(pcm)).toBe(true);
    const characters = [...LONG_TEXT].length;
    expect(events[events.length - 1]).toMatchObject({
      type: 'speech.audio.done',
      usage: { input_tokens: characters, output_tokens: 0, total_tokens: characters },
    });
  });

  it('a provider whose answer breaks before its first audio byte: the next target serves, streaming, and the client never knows (charged once)', async () => {
    const payer = await api.createTenant(10_000);
    const payerClient = new OpenAI({ baseURL: `${api.baseUrl}/v1`, apiKey: payer.apiKey, maxRetries: 0 });
    upstream.enqueue(
      { status: 200, headers: { 'content-type': 'audio/pcm' }, body: second(), pieces: { ...SLOW, failAfter: 0 } },
      { status: 200, headers: { 'content-type': 'audio/pcm' }, body: second(), pieces: SLOW },
    );
    const response = await payerClient.audio.speech
      .create({ model: 'fake-with-fallback', voice: 'nova', input: THREE_SENTENCES, response_format: 'pcm', stream_format: 'audio' })
      .asResponse();
    const { bytes, firstAt } = await readBody(response);

    expect(response.headers.get('x-tts-provider')).toBe('fake-pcm');
    expect(upstream.calls).toBe(2);
    expect(firstAt).toBeLessThan(upstream.requests[1].piecesSentAt[2]);
    // 1 s at 24 kHz from the upstream, resampled to the voice's 16 kHz.
    expect(bytes.length).toBe(16000 * 2);
    const price = [...THREE_SENTENCES].length;
    await eventually(async () =>
      expect(await api.app.get(CreditsService).summary(payer.tenantId)).toMatchObject({
        balance: 10_000 - price,
        reserved: 0,
        ledgerSum: 10_000 - price,
      }),
    );
  });

  it('a provider that fails after the first audio: no switch; the stream ends with an error event (SSE) or cut short (audio), and the request is charged', async () => {
    const payer = await api.createTenant(10_000);
    const payerClient = new OpenAI({ baseURL: `${api.baseUrl}/v1`, apiKey: payer.apiKey, maxRetries: 0 });
    const price = [...THREE_SENTENCES].length;
    const recorded: RequestFailure[] = [];
    api.app.get(RequestFailureListeners).add((failure) => recorded.push(failure));
    upstream.enqueue({
      status: 200,
      headers: { 'content-type': 'audio/pcm' },
      body: second(),
      pieces: { ...SLOW, intervalMs: 20, failAfter: 3 },
    });
    const sse = await payerClient.audio.speech
      .create({ model: 'fake/fake-model', voice: 'nova', input: THREE_SENTENCES, response_format: 'pcm', stream_format: 'sse' })
      .asResponse();
    const events = await readSse(sse.body!);
    expect(events[0].type).toBe('speech.audio.delta');
    expect(events[events.length - 1]).toMatchObject({ type: 'error', error: { type: 'server_error' } });

    upstream.enqueue({
      status: 200,
      headers: { 'content-type': 'audio/pcm' },
      body: second(),
      pieces: { ...SLOW, intervalMs: 20, failAfter: 3 },
    });
    const audio = await payerClient.audio.speech
      .create({ model: 'fake/fake-model', voice: 'nova', input: THREE_SENTENCES, response_format: 'pcm', stream_format: 'audio' })
      .asResponse();
    await expect(readBody(audio)).rejects.toThrow();

    expect(upstream.calls).toBe(2);
    await eventually(async () =>
      expect(await api.app.get(CreditsService).summary(payer.tenantId)).toMatchObject({ balance: 10_000 - 2 * price, reserved: 0 }),
    );
    // Operators see both (the dashboard's recent failures), although the clients got a 200 status.
    expect(recorded.filter((failure) => failure.tenantId === payer.tenantId).map((failure) => [failure.face, failure.code])).toEqual([
      ['openai', 'provider_unavailable'],
      ['openai', 'provider_unavailable'],
    ]);
  });

  it.each(['mp3', 'opus'] as const)(
    'a client that hangs up mid-stream (%s) closes the upstream call and the encoder at once, pays for the request (audio was delivered), and is no operator failure',
    async (format) => {
      const payer = await api.createTenant(10_000);
      const recorded: RequestFailure[] = [];
      api.app.get(RequestFailureListeners).add((failure) => recorded.push(failure));
      const aborter = new AbortController();
      upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/pcm' }, body: second(), pieces: SLOW });
      const payerClient = new OpenAI({ baseURL: `${api.baseUrl}/v1`, apiKey: payer.apiKey, maxRetries: 0 });
      const response = await payerClient.audio.speech
        .create(
          { model: 'fake-pcm/fake-model', voice: 'nova', input: LONG_TEXT, response_format: format, stream_format: 'audio' },
          { signal: aborter.signal },
        )
        .asResponse();
      const reader = response.body!.getReader();
      await reader.read();
      aborter.abort();

      await eventually(() => expect(upstream.requests[0].abandoned).toBe(true));
      expect(upstream.requests[0].piecesSentAt.length).toBeLessThan(10);
      await eventually(async () =>
        expect(await api.app.get(CreditsService).summary(payer.tenantId)).toMatchObject({
          balance: 10_000 - [...LONG_TEXT].length,
          reserved: 0,
        }),
      );
      await eventually(() => expect(ffmpegChildren()).toHaveLength(api.app.get(AudioPipeline).processesReady()));
      expect(recorded.filter((failure) => failure.tenantId === payer.tenantId)).toEqual([]);
    },
  );

  it('a client that hangs up before the whole file is ready stops the upstream call, is charged nothing, and is no operator failure', async () => {
    upstream.defaultResponse = { hang: true };
    const payer = await api.createTenant(10_000);
    const recorded: RequestFailure[] = [];
    api.app.get(RequestFailureListeners).add((failure) => recorded.push(failure));
    const credits = api.app.get(CreditsService);
    const aborter = new AbortController();
    try {
      const payerClient = new OpenAI({ baseURL: `${api.baseUrl}/v1`, apiKey: payer.apiKey, maxRetries: 0 });
      const call = payerClient.audio.speech
        .create(
          { model: 'fake/fake-model', voice: 'nova', input: 'Habari ya leo, rafiki.', response_format: 'wav' },
          { signal: aborter.signal },
        )
        .catch((error: Error) => error);
      const deadline = Date.now() + 10_000;
      while (upstream.calls === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await credits.summary(payer.tenantId)).reserved).toBe(22);
      aborter.abort();
      expect(await call).toBeInstanceOf(Error);
      while ((await credits.summary(payer.tenantId)).reserved !== 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
    } finally {
      upstream.defaultResponse = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
    }
    // The upstream call was closed, and the router neither retried nor tried another target.
    expect(upstream.calls).toBe(1);
    for (let i = 0; i < 50 && !upstream.requests[0].abandoned; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(upstream.requests[0].abandoned).toBe(true);
    expect(await credits.summary(payer.tenantId)).toMatchObject({ balance: 10_000, reserved: 0, ledgerSum: 10_000 });
    expect(recorded.filter((failure) => failure.tenantId === payer.tenantId)).toEqual([]);
  });

  describe('errors in the OpenAI shape', () => {
    const post = (body: unknown, key: string | null = apiKey) => {
      const call = request(api.baseUrl).post('/v1/audio/speech');
      if (key) call.set('authorization', `Bearer ${key}`);
      return call.send(body as object);
    };
    const valid = { model: 'vits/sauti-test-v1', voice: 'alloy', input: 'Habari.' };

    it.each([
      ['speed 0.2', { ...valid, speed: 0.2 }, 'speed'],
      ['speed 4.1', { ...valid, speed: 4.1 }, 'speed'],
      ['speed "fast"', { ...valid, speed: 'fast' }, 'speed'],
      ['no model', { voice: 'alloy', input: 'Habari.' }, 'model'],
      ['no input', { model: 'vits/sauti-test-v1', voice: 'alloy' }, 'input'],
      ['no voice', { model: 'vits/sauti-test-v1', input: 'Habari.' }, 'voice'],
      ['unknown provider', { ...valid, model: 'nosuch/model' }, 'model'],
      ['a language eSpeak does not have', { ...valid, model: 'espeak/zz' }, 'model'],
      ['unknown format', { ...valid, response_format: 'ogg' }, 'response_format'],
      ['unknown stream format', { ...valid, stream_format: 'chunks' }, 'stream_format'],
    ])('%s → 400 naming the field', async (_name, body, param) => {
      const response = await post(body);
      expect(response.status).toBe(400);
      expect(response.body).toEqual({
        error: { message: expect.any(String), type: 'invalid_request_error', param, code: expect.any(String) },
      });
    });

    it('the SDK surfaces them as APIError with the status and message', async () => {
      await expect(client.audio.speech.create({ model: 'nosuch/model', voice: 'alloy', input: 'Habari.' })).rejects.toMatchObject({
        status: 400,
        type: 'invalid_request_error',
        param: 'model',
      });
    });

    it('no key → 401, malformed JSON → 400, wrong method → 405', async () => {
      const unauthenticated = await post(valid, null);
      expect(unauthenticated.status).toBe(401);
      expect(unauthenticated.body.error).toMatchObject({ type: 'authentication_error', code: 'unauthorized' });
      const malformed = await request(api.baseUrl)
        .post('/v1/audio/speech')
        .set('authorization', `Bearer ${apiKey}`)
        .set('content-type', 'application/json')
        .send('{"model": ');
      expect(malformed.status).toBe(400);
      expect(malformed.body.error.code).toBe('malformed_request');
      const wrongMethod = await request(api.baseUrl).get('/v1/audio/speech').set('authorization', `Bearer ${apiKey}`);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.allow).toBe('POST');
      expect(wrongMethod.body.error.code).toBe('method_not_allowed');
      const unknown = await request(api.baseUrl).get('/v1/audio/nothing');
      expect(unknown.status).toBe(404);
      expect(unknown.body.error).toMatchObject({ type: 'not_found_error' });
    });

    it('over the per-key request limit → 429 rate_limit_error with Retry-After', async () => {
      const limited = await api.createTenant(100_000);
      await api.app.get(DataSource).query(`UPDATE tenants SET rate_limit_requests_per_minute = 2 WHERE id = $1`, [limited.tenantId]);
      expect((await post(valid, limited.apiKey)).status).toBe(200);
      const second = await post(valid, limited.apiKey);
      expect(second.status).toBe(200);
      expect(second.headers['x-ratelimit-remaining']).toBe('0');
      const refused = await post(valid, limited.apiKey);
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['retry-after'])).toBeGreaterThan(0);
      expect(refused.body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limited' });
    });

    it('too few credits → 402 insufficient_quota, before anything is synthesized', async () => {
      const poor = await api.createTenant(1);
      const response = await post(valid, poor.apiKey);
      expect(response.status).toBe(402);
      expect(response.body.error).toMatchObject({ type: 'insufficient_quota', code: 'insufficient_credits' });
    });
  });
});
