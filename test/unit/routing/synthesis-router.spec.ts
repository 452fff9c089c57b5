import { configFor, routedSamples, RoutingContext, startRoutingContext, writeConfigDir } from '../../fakes/routing-fixture';
import { ScriptableUpstream, toneWav } from '../../fakes/scriptable-upstream';
import { failure, routeRequest, routingTestFiles, TEST_SECRETS } from './routing-test-config';
import type { AudioStream } from '../../../src/audio/audio-stream';
import { TtsError } from '../../../src/common/tts-error';
import { eventually } from '../../support/eventually';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const request = routeRequest;

const WAV = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.2, 24000) };
const PCM = { status: 200, body: Buffer.alloc(4800) };

describe('SynthesisRouter against scripted upstreams', () => {
  let primary: ScriptableUpstream;
  let secondary: ScriptableUpstream;
  let eleven: ScriptableUpstream;
  let peer: ScriptableUpstream;
  let sut: RoutingContext;

  beforeAll(async () => {
    [primary, secondary, eleven, peer] = await Promise.all([
      ScriptableUpstream.start(),
      ScriptableUpstream.start(),
      ScriptableUpstream.start(),
      ScriptableUpstream.start(),
    ]);
  });

  beforeEach(async () => {
    for (const fake of [primary, secondary, eleven, peer]) {
      fake.reset();
      fake.defaultResponse = { status: 500, body: { error: { message: 'unscripted' } } };
    }
    // VOICES_DIR points nowhere: the VITS voice's files are missing.
    sut = await startRoutingContext(
      configFor(writeConfigDir(routingTestFiles({ primary, secondary, eleven, peer })), {
        ...TEST_SECRETS,
        VOICES_DIR: '/nonexistent/voices',
      }),
    );
  });

  afterEach(() => sut.close());
  afterAll(() => Promise.all([primary, secondary, eleven, peer].map((fake) => fake.close())));

  it('retries 500, 500 and is served by the same upstream on the third call, resampled to the route rate', async () => {
    primary.enqueue({ status: 500 }, { status: 502 }, WAV);
    const routed = await routedSamples(sut, request('duo'), { requestId: 'r1' });
    expect(routed.provider).toBe('primary');
    expect(primary.calls).toBe(3);
    expect(secondary.calls).toBe(0);
    expect(routed.attempts).toEqual([expect.objectContaining({ provider: 'primary', outcome: 'ok', retries: 2 })]);
    expect(routed.audio.sampleRate).toBe(16000);
    expect(routed.audio.samples.length).toBe(3200);
    const sent = JSON.parse(primary.requests[0].body.toString());
    expect(sent).toMatchObject({ model: 'tts-1', voice: 'alloy', response_format: 'wav', input: 'Habari za asubuhi.' });
    expect(primary.requests[0].headers.authorization).toBe('Bearer sk-primary-test');
    expect(primary.requests[0].path).toBe('/v1/audio/speech');
  });

  it('fails fast on a 400 with the upstream message, without retrying or falling back', async () => {
    primary.enqueue({ status: 400, body: { error: { message: 'Input contains unsupported characters', type: 'invalid_request_error' } } });
    const error = await failure(routedSamples(sut, request('duo'), { requestId: 'r2' }));
    expect(error.code).toBe('provider_rejected');
    expect(error.upstreamStatus).toBe(400);
    expect(error.message).toContain('Input contains unsupported characters');
    expect(primary.calls).toBe(1);
    expect(secondary.calls).toBe(0);
  });

  it('times out a hanging upstream and is served by the next target', async () => {
    primary.defaultResponse = { hang: true };
    secondary.enqueue(PCM);
    const started = performance.now();
    const routed = await routedSamples(sut, request('duo'), { requestId: 'r3' });
    expect(routed.provider).toBe('secondary');
    expect(routed.attempts[0]).toMatchObject({ provider: 'primary', outcome: 'provider_timeout', retries: 2 });
    expect(routed.attempts[1]).toMatchObject({ provider: 'secondary', outcome: 'ok', voice: 'nova' });
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('honours a 429 Retry-After within the bound', async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } }, WAV);
    const routed = await routedSamples(sut, request('duo'), { requestId: 'r4' });
    expect(routed.provider).toBe('primary');
    expect(primary.requests[1].at - primary.requests[0].at).toBeGreaterThanOrEqual(990);
  });

  it('does not wait for a Retry-After beyond the bound: the next target serves at once', async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '30' } });
    secondary.enqueue(PCM);
    const started = performance.now();
    const routed = await routedSamples(sut, request('duo'), { requestId: 'r5' });
    expect(routed.provider).toBe('secondary');
    expect(primary.calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it('opens the breaker after repeated failures, skips the provider, half-opens after the cool-down and closes on recovery', async () => {
    secondary.defaultResponse = PCM;
    await routedSamples(sut, request('duo'), { requestId: 'b1' }); // primary: 3 failed calls → open
    expect(primary.calls).toBe(3);
    const skipped = await routedSamples(sut, request('duo'), { requestId: 'b2' });
    expect(primary.calls).toBe(3);
    expect(skipped.provider).toBe('secondary');
    expect(skipped.attempts[0]).toMatchObject({ provider: 'primary', outcome: 'provider_unavailable' });
    expect(skipped.attempts[0].message).toContain('circuit open');
    expect(await providerReport(sut, 'primary')).toMatchObject({
      status: 'degraded',
      breaker: 'open',
      lastError: { code: 'provider_unavailable' },
    });

    await new Promise((resolve) => setTimeout(resolve, 350));
    primary.defaultResponse = WAV;
    const probed = await routedSamples(sut, request('duo'), { requestId: 'b3' });
    expect(probed.provider).toBe('primary');
    expect(primary.calls).toBe(4);
    expect(await providerReport(sut, 'primary')).toMatchObject({ status: 'up', breaker: 'closed' });
  });

  it('tries per-request fallbacks in order after the route', async () => {
    eleven.defaultResponse = { status: 503, body: { detail: { status: 'busy', message: 'overloaded' } } };
    const audio = toneWav(0.1, 16000).toString('base64');
    peer.enqueue({ status: 200, body: { audio_base64: audio, content_type: 'audio/wav' } });
    const routed = await routedSamples(
      sut,
      request('primary/tts-1', { voice: 'echo', fallbacks: ['eleven/eleven_multilingual_v2', 'peer/sauti-swahili-v1'] }),
      { requestId: 'f1' },
    );
    expect(routed.provider).toBe('peer');
    expect(routed.attempts.map((attempt) => [attempt.provider, attempt.outcome])).toEqual([
      ['primary', 'provider_unavailable'],
      ['eleven', 'provider_unavailable'],
      ['peer', 'ok'],
    ]);
    expect(routed.attempts[1].message).toContain('overloaded');
    expect(routed.audio.sampleRate).toBe(24000);
    // Asked at the route's own rate, which ElevenLabs offers: nothing is resampled.
    expect(eleven.requests[0].path).toBe('/v1/text-to-speech/echo?output_format=pcm_24000');
    expect(eleven.requests[0].headers['xi-api-key']).toBe('xi-eleven-test');
    expect(JSON.parse(eleven.requests[0].body.toString())).toMatchObject({
      text: 'Habari za asubuhi.',
      model_id: 'eleven_multilingual_v2',
    });
    expect(peer.requests[0].path).toBe('/v1/text-to-speech/sauti-swahili-v1');
    expect(peer.requests[0].headers['xi-api-key']).toBe('sauti-peer-test');
  });

  it('rejects an unknown provider in fallbacks and an unknown voice or model, naming the face field', async () => {
    expect(() => sut.router.resolve({ route: 'duo', fallbacks: ['nowhere/tts-1'] })).toThrow(
      expect.objectContaining({ code: 'unknown_provider', field: 'fallbacks' }),
    );
    expect(() => sut.router.resolve({ route: 'no-such-voice', fallbacks: [] })).toThrow(
      expect.objectContaining({ code: 'unknown_voice', field: 'voice_id' }),
    );
    expect(() => sut.router.resolve({ route: 'eleven/not-a-model', voice: 'x', fallbacks: [] }, { route: 'model' })).toThrow(
      expect.objectContaining({ code: 'unknown_voice', field: 'model' }),
    );
    expect(() => sut.router.resolve({ route: 'nowhere/tts-1', fallbacks: [] }, { route: 'model' })).toThrow(
      expect.objectContaining({ code: 'unknown_voice', field: 'model' }),
    );
    // eSpeak's own voice list decides: a language it lacks is unknown before anything is billed.
    expect(() => sut.router.resolve({ route: 'espeak/zz', fallbacks: [] }, { route: 'model' })).toThrow(
      expect.objectContaining({ code: 'unknown_voice', field: 'model' }),
    );
    expect(() => sut.router.resolve({ route: 'duo', fallbacks: ['espeak/sw+nosuchvariant'] })).toThrow(
      expect.objectContaining({ code: 'unknown_voice', field: 'fallbacks' }),
    );
    expect(sut.router.resolve({ route: 'espeak/sw-tz', fallbacks: [] }).targets).toEqual([
      expect.objectContaining({ provider: 'espeak', voice: 'sw-tz' }),
    ]);
    const error = await failure(routedSamples(sut, request('duo', { fallbacks: ['nowhere/x'] }), { requestId: 'f2' }));
    expect(error.code).toBe('unknown_provider');
    expect(primary.calls).toBe(0);
  });

  it('lists every attempt when all providers fail', async () => {
    const error = await failure(
      routedSamples(sut, request('duo', { voice: 'alloy', fallbacks: ['dead/tts-1', 'keyless/tts-1'] }), { requestId: 'a1' }),
    );
    expect(error.code).toBe('all_providers_failed');
    const attempts = error.details?.attempts as { provider: string; outcome: string; durationMs: number; message: string }[];
    expect(attempts.map((attempt) => attempt.provider)).toEqual(['primary', 'secondary', 'dead', 'keyless']);
    expect(attempts[2]).toMatchObject({ outcome: 'provider_unavailable', retries: 2 });
    expect(attempts[2].message).toContain('ECONNREFUSED');
    expect(attempts[3].message).toContain('ROUTING_TEST_UNSET_KEY is not set');
    expect(attempts.every((attempt) => typeof attempt.durationMs === 'number')).toBe(true);
    expect(error.message).toMatch(
      /^Every provider for 'duo' failed: primary provider_unavailable \(\d+ ms, 2 retries\), secondary provider_unavailable \(\d+ ms, 2 retries\), dead provider_unavailable \(\d+ ms, 2 retries\), keyless provider_unavailable \(\d+ ms\)\.$/,
    );
  });

  it('refuses a redirect to another host and follows one to the same host', async () => {
    primary.enqueue({ redirectTo: `${secondary.url}/v1/audio/speech` });
    const refused = await failure(routedSamples(sut, request('primary/tts-1'), { requestId: 'd1' }));
    expect(refused.code).toBe('all_providers_failed');
    expect((refused.details?.attempts as { message: string }[])[0].message).toContain('another host');
    expect(secondary.calls).toBe(0);

    primary.enqueue({ redirectTo: '/v2/audio/speech' }, WAV);
    const followed = await routedSamples(sut, request('primary/tts-1'), { requestId: 'd2' });
    expect(followed.provider).toBe('primary');
    expect(primary.requests.at(-1)?.path).toBe('/v2/audio/speech');
  });

  it('cuts off an oversized body with a typed error, streamed or declared', async () => {
    primary.enqueue({ streamBytes: 3 * 1024 * 1024 });
    // The audio had started: the stream itself fails at the cap, and no other provider takes over mid-answer.
    const streamed = await failure(routedSamples(sut, request('primary/tts-1'), { requestId: 'o1' }));
    expect(streamed.code).toBe('provider_unavailable');
    expect(streamed.message).toContain('larger than 1048576 bytes');
    expect(primary.calls).toBe(1);
    primary.enqueue({ body: Buffer.alloc(2 * 1024 * 1024) });
    const declared = await failure(routedSamples(sut, request('primary/tts-1'), { requestId: 'o2' }));
    // Refused from the Content-Length alone, before the body is read.
    expect((declared.details?.attempts as { message: string }[])[0].message).toContain('larger than 1048576 bytes (declared 2097152)');
  });

  it('serves the Swahili voice with espeak when the VITS voice cannot be served, and health says so', async () => {
    const routed = await routedSamples(sut, request('sauti-swahili-v1'), { requestId: 'v1' });
    expect(routed.provider).toBe('espeak');
    expect(routed.voice).toBe('sw');
    expect(routed.audio.sampleRate).toBe(16000);
    expect(routed.audio.samples.length).toBeGreaterThan(8000);
    expect(routed.attempts[0]).toMatchObject({ provider: 'vits', outcome: 'provider_unavailable' });
    expect(sut.catalog.get('sauti-swahili-v1')).toMatchObject({
      available: false,
      servedByFallback: true,
      fallbackProvider: 'espeak',
      sampleRate: 16000,
      engine: 'vits',
    });
    const catalog = await sut.health
      .all()
      .find((check) => check.key === 'catalog')
      ?.check();
    expect(catalog).toMatchObject({ status: 'degraded', voices: { 'sauti-swahili-v1': { available: false, servedByFallback: true } } });
    const vitsVoices = await sut.health
      .all()
      .find((check) => check.key === 'voices')
      ?.check();
    expect(vitsVoices).toMatchObject({ voices: { 'sauti-swahili-v1': { available: false } } });
    expect(await providerReport(sut, 'vits')).toMatchObject({ voices: { 'sauti-swahili-v1': { available: false } } });
  });

  it('stops at once when the caller cancels, abandoning the upstream call', async () => {
    primary.defaultResponse = { hang: true };
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const error = await failure(routedSamples(sut, request('duo'), { requestId: 'c1', signal: controller.signal }));
    expect(error.code).toBe('service_unavailable');
    expect(performance.now() - started).toBeLessThan(250);
    expect(primary.calls).toBe(1);
    expect(secondary.calls).toBe(0);
  });

  it('stops at once when the caller cancels during a Retry-After wait, and calls nobody again', async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } }, WAV);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 200);
    const started = performance.now();
    const error = await failure(routedSamples(sut, request('duo'), { requestId: 'c2', signal: controller.signal }));
    expect(error.code).toBe('service_unavailable');
    expect(performance.now() - started).toBeLessThan(500);
    // Past the moment the retry would have gone out: the wait ended with the request, not after it.
    await sleep(1200 - (performance.now() - started));
    expect(primary.calls).toBe(1);
    expect(secondary.calls).toBe(0);
    expect(await providerReport(sut, 'primary')).toMatchObject({ breaker: 'closed' });
  });

  describe("the target's timeout covers waiting on the provider, not on the reader", () => {
    const PIECES = Buffer.alloc(9600, 1);

    /** Opens the duo route (primary's timeout: 300 ms) and returns its stream as the provider sent it. */
    async function open(requestId: string, convert = (audio: AudioStream) => audio) {
      const route = sut.router.resolve(request('duo'));
      return sut.router.open(route, request('duo'), {
        requestId,
        signal: new AbortController().signal,
        output: { format: 'pcm', sampleRate: 24000 },
        convert,
      });
    }

    it('a reader slower than the timeout gets every byte, and the provider is not blamed', async () => {
      primary.enqueue({ status: 200, body: PIECES, pieces: { count: 4, intervalMs: 40 } });
      const routed = await open('t1');
      let bytes = 0;
      for await (const chunk of routed.audio.chunks) {
        bytes += chunk.length;
        await sleep(400); // longer than the 300 ms timeout, after each chunk
      }
      expect(bytes).toBe(PIECES.length);
      expect(routed.provider).toBe('primary');
      expect(await sut.metrics.render()).toContain(`tts_audio_bytes_total{provider="primary",passed_through="true"} ${PIECES.length}`);
      expect(await providerReport(sut, 'primary')).toMatchObject({ status: 'up', breaker: 'closed' });
      expect(await sut.metrics.render()).not.toMatch(/tts_provider_failures_total\{provider="primary"/);
    });

    it('a provider that stalls mid-stream times out, its connection is closed and the failure is its own', async () => {
      primary.enqueue({ status: 200, body: PIECES, pieces: { count: 3, intervalMs: 1000 } });
      const routed = await open('t2');
      const chunks = routed.audio.chunks[Symbol.asyncIterator]();
      expect((await chunks.next()).done).toBe(false);
      const started = performance.now();
      const error = await failure(chunks.next());
      expect(error).toMatchObject({ code: 'provider_timeout', message: 'primary sent no audio for 300 ms' });
      expect(performance.now() - started).toBeLessThan(900);
      await eventually(() => expect(primary.requests[0].abandoned).toBe(true));
      expect(await providerReport(sut, 'primary')).toMatchObject({ lastError: { code: 'provider_timeout' } });
    });

    it('an answer whose connection drops before its first audio byte is retried, then the next target serves', async () => {
      const dropped = { status: 200, body: PIECES, pieces: { count: 3, intervalMs: 10, failAfter: 0 } };
      primary.enqueue(dropped, dropped, dropped);
      secondary.enqueue(PCM);
      const routed = await open('t2b');
      expect(routed.provider).toBe('secondary');
      expect(primary.calls).toBe(3);
      expect(routed.attempts[0]).toMatchObject({ provider: 'primary', outcome: 'provider_unavailable', retries: 2 });
    });

    it('a stream its reader abandons closes the upstream connection, without blaming the provider', async () => {
      primary.enqueue({ status: 200, body: PIECES, pieces: { count: 5, intervalMs: 100 } });
      const routed = await open('t3');
      for await (const chunk of routed.audio.chunks) {
        expect(chunk.length).toBeGreaterThan(0);
        break;
      }
      await eventually(() => expect(primary.requests[0].abandoned).toBe(true));
      expect(primary.requests[0].piecesSentAt.length).toBeLessThan(5);
      expect(await providerReport(sut, 'primary')).toMatchObject({ status: 'up', breaker: 'closed' });
    });

    it('a call whose conversion fails before reading stops the provider: its connection is closed too', async () => {
      primary.enqueue({ status: 200, body: PIECES, pieces: { count: 5, intervalMs: 100 } });
      secondary.enqueue(PCM);
      let converted = 0;
      const routed = await open('t4', (audio) => {
        if (converted++ === 0) throw new TtsError('provider_unavailable', 'primary sent audio that cannot be read');
        return audio;
      });
      expect(routed.provider).toBe('secondary');
      await eventually(() => expect(primary.requests[0].abandoned).toBe(true));
    });

    it("a failure of our own step (the encoder) is not the provider's: no fallback, no breaker or health failure", async () => {
      primary.defaultResponse = PCM;
      secondary.defaultResponse = PCM;
      for (let i = 0; i < 4; i++) {
        const error = await failure(
          open(`t5-${i}`, () => {
            throw new TtsError('internal', 'ffmpeg (opus) exited with code 1');
          }),
        );
        expect(error.code).toBe('internal');
      }
      expect([primary.calls, secondary.calls]).toEqual([4, 0]);
      expect(await providerReport(sut, 'primary')).toMatchObject({ status: 'up', breaker: 'closed' });
      expect(await sut.metrics.render()).not.toMatch(/tts_provider_failures_total\{provider="primary"/);
    });
  });

  it('skips a target whose text limit the request exceeds', async () => {
    peer.enqueue({ status: 200, body: { audio_base64: toneWav(0.1, 16000).toString('base64') } });
    const routed = await routedSamples(sut, request('primary/tts-1', { text: 'a'.repeat(5001), characters: 5001, fallbacks: ['peer/x'] }), {
      requestId: 'l1',
    });
    expect(primary.calls).toBe(0);
    expect(routed.attempts[0].message).toContain('exceeds its limit of 5000');
    expect(routed.provider).toBe('peer');
  });

  it('reports a provider without its key as down with the reason, and records provider metrics', async () => {
    expect(await providerReport(sut, 'keyless')).toMatchObject({
      status: 'down',
      detail: 'environment variable ROUTING_TEST_UNSET_KEY is not set',
    });
    primary.enqueue(WAV);
    await routedSamples(sut, request('duo'), { requestId: 'm1' });
    const text = await sut.metrics.render();
    expect(text).toContain('tts_provider_attempts_total{provider="primary",outcome="ok"} 1');
    expect(text).toContain('tts_provider_breaker_state{provider="primary"} 0');
    // The upstream's 24 kHz WAV was converted to the route's 16 kHz PCM: 0.2 s of it.
    expect(text).toContain('tts_audio_bytes_total{provider="primary",passed_through="false"} 6400');
  });
});

async function providerReport(context: RoutingContext, provider: string) {
  return context.health
    .all()
    .find((check) => check.key === `provider:${provider}`)
    ?.check();
}
