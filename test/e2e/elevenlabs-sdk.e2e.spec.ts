import { ElevenLabs, ElevenLabsClient, ElevenLabsError } from '@elevenlabs/elevenlabs-js';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { AudioPipeline } from '../../src/audio/audio-pipeline';
import { floatToPcm16 } from '../../src/audio/wav';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { ScriptableUpstream, toneSamples, toneWav } from '../fakes/scriptable-upstream';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { mp3Frames } from '../support/mp3-frames';
import { eventually } from '../support/eventually';
import { startTestApi, TestApi } from '../support/test-api';
import { probeAudio } from '../unit/audio/audio-probe';

const VITS_VOICE = 'sauti-test-v1';
const THREE_SENTENCES = 'Habari ya asubuhi. Leo ni siku nzuri sana. Tutaonana kesho jioni.';
/** A catalogue voice served by an ElevenLabs-compatible fake upstream. */
const UPSTREAM_VOICE = 'fake-elevenlabs-voice';

/** Adds an ElevenLabs-compatible provider on `upstream` and a voice routed to it to the fixture's CONFIG_DIR. */
function addElevenLabsUpstream(configDir: string, upstream: ScriptableUpstream): void {
  const providersFile = join(configDir, 'providers.yaml');
  const providers = parse(readFileSync(providersFile, 'utf8'));
  providers.providers.push({
    id: 'fake-elevenlabs',
    kind: 'elevenlabs-compatible',
    base_url: upstream.url,
    api_key_env: 'FAKE_UPSTREAM_KEY',
    timeout_ms: 60_000,
    default_voice: 'upstream-voice',
  });
  writeFileSync(providersFile, stringify(providers));
  const routesFile = join(configDir, 'routes.yaml');
  const routes = parse(readFileSync(routesFile, 'utf8'));
  routes.voices.push({
    id: UPSTREAM_VOICE,
    name: 'Fake ElevenLabs upstream voice',
    language: 'sw',
    sample_rate: 44100,
    chain: [{ provider: 'fake-elevenlabs', voice: 'upstream-voice', timeout_ms: 60_000 }],
  });
  writeFileSync(routesFile, stringify(routes));
}

async function bytesOf(stream: ReadableStream<Uint8Array>): Promise<{ bytes: Buffer; chunks: number }> {
  const parts: Buffer[] = [];
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) parts.push(Buffer.from(chunk));
  return { bytes: Buffer.concat(parts), chunks: parts.length };
}

/** What the SDK throws, for assertions on its status and body. */
async function sdkError(call: Promise<unknown>): Promise<ElevenLabsError> {
  try {
    await call;
  } catch (error) {
    if (error instanceof ElevenLabsError) return error;
    throw error;
  }
  throw new Error('the call succeeded');
}

describe('ElevenLabs face: the official @elevenlabs/elevenlabs-js SDK against /elevenlabs', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let elevenLabsUpstream: ScriptableUpstream;
  let client: ElevenLabsClient;
  let tenantId: string;
  let apiKey: string;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    elevenLabsUpstream = await ScriptableUpstream.start();
    addElevenLabsUpstream(fixture.env.CONFIG_DIR, elevenLabsUpstream);
    api = await startTestApi(fixture.env);
    ({ tenantId, apiKey } = await api.createTenant(1_000_000));
    client = new ElevenLabsClient({ apiKey, baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
  });
  afterEach(() => {
    upstream.reset();
    elevenLabsUpstream.reset();
  });
  afterAll(async () => {
    await api.close();
    await upstream.close();
    await elevenLabsUpstream.close();
  });

  const balance = async (tenant = tenantId) => (await api.app.get(CreditsService).summary(tenant)).balance;

  it('convert: the default mp3_44100_128 is MPEG-1 layer III at 44.1 kHz and 128 kbit/s in every frame, billed per character', async () => {
    const before = await balance();
    const { data, rawResponse } = await client.textToSpeech
      .convert(FAKE_VOICE, { text: 'Sekunde nusu.', modelId: 'eleven_multilingual_v2' })
      .withRawResponse();
    const { bytes } = await bytesOf(data);
    expect(rawResponse.status).toBe(200);
    expect(rawResponse.headers.get('content-type')).toBe('audio/mpeg');
    expect(rawResponse.headers.get('content-length')).toBe(String(bytes.length));
    expect(rawResponse.headers.get('x-character-count')).toBe('13');
    expect(rawResponse.headers.get('request-id')).toBe(rawResponse.headers.get('x-request-id'));
    // The voice decides the engine: an ElevenLabs model id changes nothing, and the client is told.
    expect(rawResponse.headers.get('x-ignored-fields')).toBe('model_id');
    const frames = mp3Frames(bytes);
    expect(frames.length).toBeGreaterThan(10);
    expect(new Set(frames.map((frame) => `${frame.version}/${frame.sampleRate}/${frame.bitrateKbps}`))).toEqual(new Set(['1/44100/128']));
    const probed = await probeAudio(bytes, 'mp3');
    expect(probed).toMatchObject({ codecName: 'mp3', sampleRate: 44100, channels: 1 });
    expect(probed.durationSeconds).toBeGreaterThan(0.49);
    expect(probed.durationSeconds).toBeLessThan(0.6);
    expect(before - (await balance())).toBe(13);
  });

  it('convert pcm_16000: raw 16-bit samples, exactly two bytes per sample of the half second', async () => {
    const { data, rawResponse } = await client.textToSpeech
      .convert(FAKE_VOICE, { text: 'Sekunde nusu.', outputFormat: 'pcm_16000' })
      .withRawResponse();
    const { bytes } = await bytesOf(data);
    expect(rawResponse.headers.get('content-type')).toBe('audio/pcm;rate=16000');
    expect(bytes.length).toBe(16000);
    const probed = await probeAudio(bytes, 'pcm', ['-f', 's16le', '-ar', '16000', '-ac', '1']);
    expect(probed.durationSeconds).toBeCloseTo(0.5, 2);
  });

  const FORMATS: Array<[ElevenLabs.TextToSpeechConvertRequestOutputFormat, string, number, number | undefined]> = [
    ['mp3_22050_32', 'mp3', 22050, 32],
    ['mp3_44100_32', 'mp3', 44100, 32],
    ['mp3_44100_64', 'mp3', 44100, 64],
    ['mp3_44100_96', 'mp3', 44100, 96],
    ['mp3_44100_192', 'mp3', 44100, 192],
    ['pcm_8000', 'pcm_s16le', 8000, undefined],
    ['pcm_22050', 'pcm_s16le', 22050, undefined],
    ['pcm_24000', 'pcm_s16le', 24000, undefined],
    ['pcm_44100', 'pcm_s16le', 44100, undefined],
    ['pcm_48000', 'pcm_s16le', 48000, undefined],
    ['ulaw_8000', 'pcm_mulaw', 8000, undefined],
    ['alaw_8000', 'pcm_alaw', 8000, undefined],
    ['opus_48000_32', 'opus', 48000, 32],
    ['opus_48000_192', 'opus', 48000, 192],
  ];
  it.each(FORMATS)('%s is produced at exactly that codec, rate and bitrate', async (outputFormat, codec, rate, bitrate) => {
    const { bytes } = await bytesOf(await client.textToSpeech.convert(FAKE_VOICE, { text: 'Sekunde nusu.', outputFormat }));
    const raw = { pcm_s16le: ['s16le', 2], pcm_mulaw: ['mulaw', 1], pcm_alaw: ['alaw', 1] }[codec] as [string, number] | undefined;
    if (raw) expect(bytes.length).toBe(Math.round(0.5 * rate) * raw[1]);
    const probed = await probeAudio(
      bytes,
      raw ? raw[0] : codec === 'opus' ? 'ogg' : 'mp3',
      raw ? ['-f', raw[0], '-ar', String(rate), '-ac', '1'] : [],
    );
    expect(probed).toMatchObject({ codecName: codec, channels: 1 });
    if (codec === 'mp3') {
      expect(new Set(mp3Frames(bytes).map((frame) => `${frame.sampleRate}/${frame.bitrateKbps}`))).toEqual(new Set([`${rate}/${bitrate}`]));
    }
    if (codec !== 'opus') expect(probed.sampleRate).toBe(rate); // every Opus decoder reports 48 kHz whatever was encoded
    expect(probed.durationSeconds).toBeGreaterThan(0.49);
    expect(probed.durationSeconds).toBeLessThan(0.6);
  });

  it('opus_48000_128 is an Ogg Opus stream whose bitrate is the one asked (within the VBR margin)', async () => {
    upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(4, 16000) });
    const { bytes } = await bytesOf(
      await client.textToSpeech.convert(FAKE_VOICE, { text: 'Sekunde nne.', outputFormat: 'opus_48000_128' }),
    );
    const probed = await probeAudio(bytes, 'ogg');
    const kbps = (bytes.length * 8) / probed.durationSeconds / 1000;
    expect(kbps).toBeGreaterThan(64);
    expect(kbps).toBeLessThan(192);
  });

  it('stream: the SDK reads chunked audio of a VITS voice, several chunks, one valid mp3', async () => {
    const before = await balance();
    const { data, rawResponse } = await client.textToSpeech
      .stream(VITS_VOICE, { text: THREE_SENTENCES, voiceSettings: { speed: 1.1, stability: 0.5 } })
      .withRawResponse();
    const { bytes, chunks } = await bytesOf(data);
    expect(rawResponse.headers.get('transfer-encoding')).toBe('chunked');
    expect(rawResponse.headers.get('x-tts-provider')).toBe('vits');
    expect(rawResponse.headers.get('x-ignored-fields')).toBe('voice_settings.stability');
    expect(chunks).toBeGreaterThan(1);
    expect(new Set(mp3Frames(bytes).map((frame) => frame.sampleRate))).toEqual(new Set([44100]));
    const probed = await probeAudio(bytes, 'mp3');
    expect(probed.durationSeconds).toBeGreaterThan(2);
    expect(before - (await balance())).toBe([...THREE_SENTENCES].length);
  });

  it('stream from an ElevenLabs upstream: the format asked is asked of it, and its bytes pass through untouched as they arrive', async () => {
    const pipeline = new AudioPipeline();
    const mp3 = (
      await pipeline.encode(toneSamples(1, 44100), 44100, { format: 'mp3', sampleRate: 44100, exactRate: true, bitrateKbps: 128 })
    ).bytes;
    pipeline.close();
    elevenLabsUpstream.enqueue({ status: 200, headers: { 'content-type': 'audio/mpeg' }, body: mp3, pieces: { count: 5, intervalMs: 30 } });
    const { data, rawResponse } = await client.textToSpeech
      .stream(UPSTREAM_VOICE, { text: 'Habari.', languageCode: 'sw', voiceSettings: { speed: 0.9 }, outputFormat: 'mp3_44100_128' })
      .withRawResponse();
    const { bytes, chunks } = await bytesOf(data);
    expect(bytes.equals(mp3)).toBe(true);
    expect(chunks).toBeGreaterThan(1);
    expect(rawResponse.headers.get('x-tts-provider')).toBe('fake-elevenlabs');
    expect(rawResponse.headers.get('x-ignored-fields')).toBeNull();
    const asked = elevenLabsUpstream.requests[0];
    expect(asked.path).toBe('/v1/text-to-speech/upstream-voice?output_format=mp3_44100_128');
    expect(asked.headers['xi-api-key']).toBe('fake-key');
    expect(JSON.parse(asked.body.toString())).toMatchObject({ text: 'Habari.', language_code: 'sw', voice_settings: { speed: 0.9 } });
  });

  it('stream: a client that hangs up after its first audio closes the upstream call and pays the whole price (audio was delivered)', async () => {
    const payer = await api.createTenant(10_000);
    const payerClient = new ElevenLabsClient({ apiKey: payer.apiKey, baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
    const pcm = floatToPcm16(toneSamples(1, 16000));
    elevenLabsUpstream.enqueue({
      status: 200,
      headers: { 'content-type': 'audio/pcm' },
      body: pcm,
      pieces: { count: 10, intervalMs: 200 },
    });
    const aborter = new AbortController();
    const data = await payerClient.textToSpeech.stream(
      UPSTREAM_VOICE,
      { text: 'Habari ya leo.', outputFormat: 'pcm_16000' },
      { abortSignal: aborter.signal },
    );
    const reader = data.getReader();
    expect((await reader.read()).done).toBe(false);
    aborter.abort();
    await eventually(() => expect(elevenLabsUpstream.requests[0].abandoned).toBe(true));
    expect(elevenLabsUpstream.requests[0].piecesSentAt.length).toBeLessThan(10);
    await eventually(async () =>
      expect(await api.app.get(CreditsService).summary(payer.tenantId)).toMatchObject({
        balance: 10_000 - 14,
        reserved: 0,
        ledgerSum: 10_000 - 14,
      }),
    );
  });

  it('stream: a client that hangs up before any audio closes the upstream call and is charged nothing', async () => {
    const payer = await api.createTenant(10_000);
    const payerClient = new ElevenLabsClient({ apiKey: payer.apiKey, baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
    elevenLabsUpstream.enqueue({ hang: true });
    const aborter = new AbortController();
    const call = payerClient.textToSpeech
      // The SDK leaves its own timeout's timer running after an abort: a short one does not outlive the file.
      .stream(UPSTREAM_VOICE, { text: 'Habari ya leo.', outputFormat: 'pcm_16000' }, { abortSignal: aborter.signal, timeoutInSeconds: 5 })
      .catch((error: unknown) => error);
    await eventually(() => expect(elevenLabsUpstream.calls).toBe(1));
    expect((await api.app.get(CreditsService).summary(payer.tenantId)).reserved).toBe(14);
    aborter.abort();
    expect(await call).toBeInstanceOf(Error);
    await eventually(() => expect(elevenLabsUpstream.requests[0].abandoned).toBe(true));
    await eventually(async () =>
      expect(await api.app.get(CreditsService).summary(payer.tenantId)).toMatchObject({ balance: 10_000, reserved: 0, ledgerSum: 10_000 }),
    );
    expect(elevenLabsUpstream.calls).toBe(1);
  });

  it('ulaw_8000 from an ElevenLabs upstream is asked as pcm_8000 and companded here', async () => {
    elevenLabsUpstream.enqueue({ status: 200, headers: { 'content-type': 'audio/pcm' }, body: floatToPcm16(toneSamples(0.5, 8000)) });
    const { bytes } = await bytesOf(await client.textToSpeech.convert(UPSTREAM_VOICE, { text: 'Habari.', outputFormat: 'ulaw_8000' }));
    expect(elevenLabsUpstream.requests[0].path).toBe('/v1/text-to-speech/upstream-voice?output_format=pcm_8000');
    expect(bytes.length).toBe(4000);
    const probed = await probeAudio(bytes, 'ulaw', ['-f', 'mulaw', '-ar', '8000', '-ac', '1']);
    expect(probed).toMatchObject({ codecName: 'pcm_mulaw', sampleRate: 8000 });
  });

  it('voice_settings.speed reaches an upstream that honours it, and is not listed as ignored', async () => {
    const { rawResponse } = await client.textToSpeech
      .convert(FAKE_VOICE, { text: 'Haraka kidogo.', voiceSettings: { speed: 1.15 }, outputFormat: 'pcm_16000' })
      .withRawResponse();
    expect(rawResponse.headers.get('x-ignored-fields')).toBeNull();
    expect(JSON.parse(upstream.requests[0].body.toString()).speed).toBe(1.15);
  });

  it('convertWithTimestamps: audio plus one timing per character; sentence boundaries fall in the pauses', async () => {
    const response = await client.textToSpeech.convertWithTimestamps(VITS_VOICE, { text: THREE_SENTENCES, outputFormat: 'pcm_16000' });
    const audio = Buffer.from(response.audioBase64, 'base64');
    const seconds = audio.length / 2 / 16000;
    const alignment = response.alignment!;
    expect(alignment.characters.join('')).toBe(THREE_SENTENCES);
    expect(alignment.characterStartTimesSeconds).toHaveLength(alignment.characters.length);
    expect(alignment.characterEndTimesSeconds).toHaveLength(alignment.characters.length);
    for (let i = 1; i < alignment.characters.length; i++) {
      expect(alignment.characterStartTimesSeconds[i]).toBeGreaterThanOrEqual(alignment.characterStartTimesSeconds[i - 1]);
      expect(alignment.characterEndTimesSeconds[i - 1]).toBeLessThanOrEqual(alignment.characterStartTimesSeconds[i] + 0.001);
    }
    expect(alignment.characterEndTimesSeconds.at(-1)).toBeCloseTo(seconds, 2);
    // The second sentence starts after the first one's last character, across the pause between them.
    const secondStart = THREE_SENTENCES.indexOf('Leo');
    expect(alignment.characterStartTimesSeconds[secondStart] - alignment.characterEndTimesSeconds[secondStart - 2]).toBeGreaterThan(0.1);
    expect(response.normalizedAlignment).toEqual(alignment);
  });

  it('streamWithTimestamps: one JSON object per line, audio and timings arriving together, adding up to the text', async () => {
    const stream = await client.textToSpeech.streamWithTimestamps(VITS_VOICE, { text: THREE_SENTENCES, outputFormat: 'mp3_22050_32' });
    const audio: Buffer[] = [];
    const characters: string[] = [];
    const starts: number[] = [];
    let pieces = 0;
    for await (const chunk of stream) {
      pieces++;
      audio.push(Buffer.from(chunk.audioBase64, 'base64'));
      characters.push(...(chunk.alignment?.characters ?? []));
      starts.push(...(chunk.alignment?.characterStartTimesSeconds ?? []));
    }
    expect(pieces).toBeGreaterThan(1);
    expect(characters.join('')).toBe(THREE_SENTENCES);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
    const bytes = Buffer.concat(audio);
    expect(new Set(mp3Frames(bytes).map((frame) => `${frame.sampleRate}/${frame.bitrateKbps}`))).toEqual(new Set(['22050/32']));
    expect((await probeAudio(bytes, 'mp3')).durationSeconds).toBeGreaterThan(starts.at(-1)!);
  });

  it('voices.search pages through the catalogue with next_page_token; getAll and get list the same voices', async () => {
    const all = await client.voices.getAll();
    const ids = all.voices.map((voice) => voice.voiceId);
    expect(ids).toEqual(expect.arrayContaining([VITS_VOICE, 'sauti-swahili-v1', FAKE_VOICE]));
    const first = await client.voices.search({ pageSize: 2 });
    expect(first).toMatchObject({ hasMore: true, totalCount: ids.length });
    expect(first.voices).toHaveLength(2);
    const seen = [...first.voices.map((voice) => voice.voiceId)];
    for (let token = first.nextPageToken; token;) {
      const page = await client.voices.search({ pageSize: 2, nextPageToken: token });
      seen.push(...page.voices.map((voice) => voice.voiceId));
      token = page.nextPageToken;
    }
    expect(seen).toEqual(ids);
    const found = await client.voices.search({ search: 'TEST (fixture' });
    expect(found.voices.map((voice) => voice.voiceId)).toEqual([VITS_VOICE]);
    expect(found).toMatchObject({ hasMore: false, totalCount: 1 });
    const one = await client.voices.get(VITS_VOICE);
    expect(one).toMatchObject({ voiceId: VITS_VOICE, category: 'premade', labels: { language: 'sw', engine: 'vits' } });
  });

  it('models.list: one model per engine, able to speak, with the languages of its voices', async () => {
    const models = await client.models.list();
    const vits = models.find((model) => model.modelId === 'vits');
    expect(vits).toMatchObject({ canDoTextToSpeech: true, maximumTextLengthPerRequest: 5000 });
    expect(vits!.languages).toEqual([{ languageId: 'sw', name: 'sw' }]);
    expect(models.map((model) => model.modelId)).toEqual(expect.arrayContaining(['vits', 'openai-compatible']));
  });

  it('user.get and user.subscription.get: the character limit is what the tenant was granted, the count what it used', async () => {
    const own = await api.createTenant(500, 'subscriber');
    const sdk = new ElevenLabsClient({ apiKey: own.apiKey, baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
    await bytesOf(await sdk.textToSpeech.convert(FAKE_VOICE, { text: 'Kumi herufi' }));
    const subscription = await sdk.user.subscription.get();
    expect(subscription).toMatchObject({ characterCount: 11, characterLimit: 500, status: 'active' });
    const user = await sdk.user.get();
    expect(user).toMatchObject({
      userId: own.tenantId,
      firstName: 'subscriber',
      subscription: { characterCount: 11, characterLimit: 500 },
    });
  });

  it('usage.get (character-stats) answers from the usage report: per bucket, by voice, cumulative, in credits, characters or requests', async () => {
    const own = await api.createTenant(10_000, 'reporter');
    const sdk = new ElevenLabsClient({ apiKey: own.apiKey, baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
    const startUnix = Date.now() - 60_000;
    await bytesOf(await sdk.textToSpeech.convert(FAKE_VOICE, { text: 'Kumi herufi' }));
    await bytesOf(await sdk.textToSpeech.convert(FAKE_VOICE, { text: 'Saba ni' }));
    const endUnix = Date.now() + 60_000;
    const characters = await sdk.usage.get({ startUnix, endUnix, aggregationInterval: 'cumulative', metric: 'tts_characters' });
    expect(characters).toEqual({ time: [startUnix], usage: { All: [18] } });
    const requests = await sdk.usage.get({ startUnix, endUnix, aggregationInterval: 'cumulative', metric: 'request_count' });
    expect(requests.usage).toEqual({ All: [2] });
    const credits = await sdk.usage.get({ startUnix, endUnix, aggregationInterval: 'cumulative' });
    const account = await request(api.baseUrl).get('/v1/account').set('xi-api-key', own.apiKey);
    expect(credits.usage.All[0]).toBe(10_000 - account.body.credits.balance);
    const byVoice = await sdk.usage.get({
      startUnix,
      endUnix,
      aggregationInterval: 'hour',
      breakdownType: 'voice',
      metric: 'tts_characters',
    });
    expect(byVoice.time[0]).toBe(startUnix);
    expect(byVoice.time.slice(1).every((time) => time % 3_600_000 === 0)).toBe(true);
    expect(Object.keys(byVoice.usage)).toEqual([FAKE_VOICE]);
    expect(byVoice.usage[FAKE_VOICE].reduce((sum, value) => sum + value, 0)).toBe(18);
    expect(byVoice.usage[FAKE_VOICE]).toHaveLength(byVoice.time.length);
  });

  it("the face's OpenAPI document lists its paths relative to /elevenlabs; the Sauti document stays its own", async () => {
    const document = await request(api.baseUrl).get('/elevenlabs/docs-json');
    expect(document.status).toBe(200);
    expect(document.body.servers[0].url).toMatch(/\/elevenlabs$/);
    expect(Object.keys(document.body.paths).sort()).toEqual([
      '/v1/models',
      '/v1/text-to-speech/{voice_id}',
      '/v1/text-to-speech/{voice_id}/stream',
      '/v1/text-to-speech/{voice_id}/stream/with-timestamps',
      '/v1/text-to-speech/{voice_id}/with-timestamps',
      '/v1/usage/character-stats',
      '/v1/user',
      '/v1/user/subscription',
      '/v1/voices',
      '/v1/voices/{voice_id}',
      '/v2/voices',
    ]);
    const sauti = await request(api.baseUrl).get('/docs-json');
    expect(Object.keys(sauti.body.paths).some((path) => path.startsWith('/elevenlabs'))).toBe(false);
  });

  it('requests are counted under their own face in /metrics', async () => {
    await client.models.list();
    const metrics = await request(api.baseUrl).get('/metrics');
    expect(metrics.text).toMatch(/tts_http_requests_total\{face="elevenlabs",method="GET",status="200"\} [1-9]/);
  });

  describe('errors, as the SDK receives them', () => {
    it('a bad key is 401 invalid_api_key', async () => {
      const bad = new ElevenLabsClient({ apiKey: 'sk_not_a_key', baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
      const error = await sdkError(bad.voices.search());
      expect(error.statusCode).toBe(401);
      expect(error.body).toEqual({ detail: { status: 'invalid_api_key', message: expect.any(String) } });
      expect(error.rawResponse?.headers.get('request-id')).toMatch(/\S+/);
    });

    it('an unknown voice is 404 voice_not_found, and nothing is charged', async () => {
      const before = await balance();
      const error = await sdkError(client.textToSpeech.convert('no-such-voice', { text: 'Habari.' }));
      expect(error.statusCode).toBe(404);
      expect(error.body).toEqual({ detail: { status: 'voice_not_found', message: expect.stringContaining('no-such-voice') } });
      expect(await balance()).toBe(before);
      expect((await sdkError(client.voices.get('no-such-voice'))).statusCode).toBe(404);
    });

    it('an output_format ElevenLabs does not offer is a 422 validation error located in the query', async () => {
      const error = await sdkError(
        client.textToSpeech.convert(FAKE_VOICE, { text: 'Habari.' }, { queryParams: { output_format: 'wav_44100' } }),
      );
      expect(error).toBeInstanceOf(ElevenLabs.UnprocessableEntityError);
      expect(error.body).toEqual({
        detail: [{ type: 'enum', loc: ['query', 'output_format'], msg: expect.stringContaining("'mp3_44100_128'"), input: 'wav_44100' }],
      });
    });

    it('character-stats without start_unix, or with an interval it does not keep, is a 422 located in the query', async () => {
      const missing = await request(api.baseUrl).get('/elevenlabs/v1/usage/character-stats?end_unix=1').set('xi-api-key', apiKey);
      expect(missing.status).toBe(422);
      expect(missing.body).toEqual({ detail: [{ type: 'missing', loc: ['query', 'start_unix'], msg: 'Field required' }] });
      const week = await sdkError(client.usage.get({ startUnix: 0, endUnix: 1, aggregationInterval: 'week' }));
      expect(week).toBeInstanceOf(ElevenLabs.UnprocessableEntityError);
      expect(week.body).toEqual({
        detail: [{ type: 'enum', loc: ['query', 'aggregation_interval'], msg: expect.stringContaining("'cumulative'"), input: 'week' }],
      });
    });

    it('an out-of-range speed and a missing text are 422s naming the field', async () => {
      const speed = await sdkError(client.textToSpeech.convert(FAKE_VOICE, { text: 'Habari.', voiceSettings: { speed: 2 } }));
      expect(speed.statusCode).toBe(422);
      expect((speed.body as { detail: Array<{ loc: unknown[] }> }).detail[0].loc).toEqual(['body', 'voice_settings', 'speed']);
      const missing = await request(api.baseUrl).post(`/elevenlabs/v1/text-to-speech/${FAKE_VOICE}`).set('xi-api-key', apiKey).send({});
      expect(missing.status).toBe(422);
      expect(missing.body).toEqual({ detail: [{ type: 'missing', loc: ['body', 'text'], msg: 'Field required' }] });
    });

    it('credits that do not cover the text are 401 quota_exceeded, with nothing charged', async () => {
      const poor = await api.createTenant(5, 'poor');
      const sdk = new ElevenLabsClient({ apiKey: poor.apiKey, baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
      const error = await sdkError(sdk.textToSpeech.convert(FAKE_VOICE, { text: 'Habari ya asubuhi.' }));
      expect(error.statusCode).toBe(401);
      expect(error.body).toEqual({ detail: { status: 'quota_exceeded', message: expect.any(String) } });
      expect(await balance(poor.tenantId)).toBe(5);
      expect(upstream.requests).toHaveLength(0);
    });

    it.each([
      ['convert', (voice: string) => client.textToSpeech.convert(voice, { text: 'Habari za asubuhi.' })],
      ['convertWithTimestamps', (voice: string) => client.textToSpeech.convertWithTimestamps(voice, { text: 'Habari za asubuhi.' })],
    ])('%s when no provider can serve: 502 upstream_unavailable, and the balance is whole when the client looks', async (_name, call) => {
      upstream.enqueue({ status: 503, body: { error: { message: 'overloaded' } } });
      const before = await balance();
      const error = await sdkError(call(FAKE_VOICE));
      expect(error.statusCode).toBe(502);
      expect(error.body).toEqual({ detail: { status: 'upstream_unavailable', message: expect.stringContaining(FAKE_VOICE) } });
      expect(JSON.stringify(error.body)).not.toContain('overloaded');
      expect(await balance()).toBe(before);
    });

    it("past the key's request limit: 429 rate_limit_exceeded with Retry-After", async () => {
      const limited = await api.createTenant(1000, 'limited');
      await api.app.get(DataSource).query(`UPDATE tenants SET rate_limit_requests_per_minute = 1 WHERE id = $1`, [limited.tenantId]);
      const sdk = new ElevenLabsClient({ apiKey: limited.apiKey, baseUrl: `${api.baseUrl}/elevenlabs`, maxRetries: 0 });
      await sdk.models.list();
      const error = await sdkError(sdk.textToSpeech.convert(FAKE_VOICE, { text: 'Habari.' }));
      expect(error.statusCode).toBe(429);
      expect(error.body).toEqual({ detail: { status: 'rate_limit_exceeded', message: expect.stringContaining('limit') } });
      expect(Number(error.rawResponse?.headers.get('retry-after'))).toBeGreaterThan(0);
    });

    it('unknown paths and methods answer as ElevenLabs (FastAPI) does; the Sauti face keeps its own answers', async () => {
      const unknown = await request(api.baseUrl).get('/elevenlabs/v1/nothing-here').set('xi-api-key', apiKey);
      expect(unknown.status).toBe(404);
      expect(unknown.body).toEqual({ detail: 'Not Found' });
      const wrongMethod = await request(api.baseUrl).get(`/elevenlabs/v1/text-to-speech/${FAKE_VOICE}`).set('xi-api-key', apiKey);
      expect(wrongMethod.status).toBe(405);
      expect(wrongMethod.headers.allow).toBe('POST');
      expect(wrongMethod.body).toEqual({ detail: 'Method Not Allowed' });
      const sauti = await request(api.baseUrl).post(`/v1/text-to-speech/${VITS_VOICE}`).set('xi-api-key', apiKey).send({ text: 'Habari.' });
      expect(sauti.status).toBe(200);
      expect(sauti.body.content_type).toBe('audio/wav');
    });
  });
});
