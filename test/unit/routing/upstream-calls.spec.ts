import { createServer, Server, Socket } from 'node:net';
import type { AddressInfo } from 'node:net';
import { TtsError } from '../../../src/common/tts-error';
import { DEFAULT_VOICE_SETTINGS } from '../../../src/common/voice-settings';
import { configFor, routedSamples, RoutingContext, startRoutingContext, writeConfigDir } from '../../fakes/routing-fixture';
import { ScriptableUpstream, toneWav } from '../../fakes/scriptable-upstream';
import { failure, routeRequest, routingTestFiles, TEST_SECRETS } from './routing-test-config';

const request = routeRequest;

const WAV = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.2, 24000) };
const PCM = { status: 200, body: Buffer.alloc(4800) };
const firstAttempt = (error: TtsError) => (error.details?.attempts as { outcome: string; message: string; retries: number }[])[0];

/** A TCP server that accepts and never speaks: a TLS client waits for a handshake that never comes. */
async function silentTcpServer(): Promise<{ server: Server; port: number; sockets: Set<Socket> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, sockets };
}

/** What every upstream call does besides answering: mapping, speed, connect budget, resets, redirects, the breaker. */
describe('upstream calls', () => {
  let primary: ScriptableUpstream;
  let secondary: ScriptableUpstream;
  let eleven: ScriptableUpstream;
  let peer: ScriptableUpstream;
  let silent: Awaited<ReturnType<typeof silentTcpServer>>;
  let sut: RoutingContext;

  beforeAll(async () => {
    [primary, secondary, eleven, peer] = await Promise.all([
      ScriptableUpstream.start(),
      ScriptableUpstream.start(),
      ScriptableUpstream.start(),
      ScriptableUpstream.start(),
    ]);
    silent = await silentTcpServer();
  });

  beforeEach(async () => {
    for (const fake of [primary, secondary, eleven, peer]) {
      fake.reset();
      fake.defaultResponse = { status: 500, body: { error: { message: 'boom' } } };
    }
    const files = routingTestFiles({ primary, secondary, eleven, peer });
    files['providers.yaml'].providers.push({
      id: 'tls',
      kind: 'openai-compatible',
      base_url: `https://127.0.0.1:${silent.port}`,
      timeout_ms: 5000,
    } as never);
    sut = await startRoutingContext(configFor(writeConfigDir(files), TEST_SECRETS));
  });

  afterEach(() => sut.close());
  afterAll(async () => {
    for (const socket of silent.sockets) socket.destroy();
    silent.server.close();
    await Promise.all([primary, secondary, eleven, peer].map((fake) => fake.close()));
  });

  it('maps the client model and voice to the upstream ids and sends the speed, clamped to each upstream range', async () => {
    primary.enqueue(WAV, WAV);
    eleven.enqueue(PCM);
    await routedSamples(sut, request('primary/tts-hd', { voice: 'narrator', settings: { ...DEFAULT_VOICE_SETTINGS, speakingRate: 1.5 } }), {
      requestId: 'm1',
    });
    await routedSamples(sut, request('primary/tts-1', { voice: 'echo', settings: { ...DEFAULT_VOICE_SETTINGS, speakingRate: 9 } }), {
      requestId: 'm2',
    });
    await routedSamples(
      sut,
      request('eleven/eleven_multilingual_v2', { voice: 'rachel', settings: { ...DEFAULT_VOICE_SETTINGS, speakingRate: 0.5 } }),
      { requestId: 'm3' },
    );
    expect(JSON.parse(primary.requests[0].body.toString())).toMatchObject({ model: 'upstream-hd-2', voice: 'onyx', speed: 1.5 });
    expect(JSON.parse(primary.requests[1].body.toString())).toMatchObject({ model: 'tts-1', voice: 'echo', speed: 4 });
    expect(JSON.parse(eleven.requests[0].body.toString())).toMatchObject({ voice_settings: { speed: 0.7 } });
    expect(primary.requests[0].headers['x-request-id']).toBe('m1');
  });

  it('gives up connecting after connect_timeout_ms, well before the attempt budget, and retries', async () => {
    const started = performance.now();
    const error = await failure(routedSamples(sut, request('tls/tts-1', { voice: 'alloy' }), { requestId: 'c1' }));
    const elapsed = performance.now() - started;
    expect(firstAttempt(error)).toMatchObject({ outcome: 'provider_timeout', retries: 2 });
    expect(firstAttempt(error).message).toBe('tls: could not connect in time (500 ms)');
    // Three connects of 500 ms plus backoff; the attempt budget alone (5 s) would be three times longer.
    expect(elapsed).toBeGreaterThanOrEqual(1500);
    expect(elapsed).toBeLessThan(4000);
  });

  it('retries a connection reset and is served on the next call', async () => {
    primary.enqueue({ destroy: true }, WAV);
    const routed = await routedSamples(sut, request('primary/tts-1'), { requestId: 'r1' });
    expect(routed.provider).toBe('primary');
    expect(routed.attempts[0]).toMatchObject({ outcome: 'ok', retries: 1 });
    expect(routed.attempts[0].message).toMatch(/^after primary is unreachable: (ECONNRESET|socket hang up)/);
    expect(primary.calls).toBe(2);
  });

  it.each([301, 302, 303])('refuses a same-host %i, which would turn the POST into a GET', async (status) => {
    primary.enqueue({ status, redirectTo: '/elsewhere' });
    const error = await failure(routedSamples(sut, request('primary/tts-1'), { requestId: `x${status}` }));
    expect(firstAttempt(error)).toMatchObject({ outcome: 'provider_unavailable', retries: 0 });
    expect(firstAttempt(error).message).toBe(`primary redirected the request: HTTP ${status} would change the method; refused`);
    expect(primary.calls).toBe(1);
  });

  it('lets a single probe through when requests arrive together after the cool-down', async () => {
    secondary.defaultResponse = PCM;
    await routedSamples(sut, request('duo'), { requestId: 'p1' }); // three failures: open
    expect(await sut.metrics.render()).toContain('tts_provider_breaker_state{provider="primary"} 2');
    expect(await sut.metrics.render()).toContain('tts_provider_failures_total{provider="primary",code="provider_unavailable"} 3');
    await new Promise((resolve) => setTimeout(resolve, 350));
    primary.defaultResponse = { ...WAV, delayMs: 100 };
    const together = await Promise.all([1, 2, 3].map((i) => routedSamples(sut, request('duo'), { requestId: `p2-${i}` })));
    expect(primary.calls).toBe(4);
    expect(together.map((routed) => routed.provider).sort()).toEqual(['primary', 'secondary', 'secondary']);
    expect(await sut.metrics.render()).toContain('tts_provider_breaker_state{provider="primary"} 0');
  });

  it('when every target is rate limited beyond the bound, the client is told the soonest Retry-After', async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '60' } });
    secondary.enqueue({ status: 503, headers: { 'retry-after': '30' } });
    const error = await failure(routedSamples(sut, request('duo'), { requestId: 'ra1' }));
    expect(error.code).toBe('all_providers_failed');
    expect(error.retryAfterSeconds).toBe(30);
    expect(primary.calls + secondary.calls).toBe(2);
  });

  it('the catalogue counts a voice available again once its breaker would let a probe through', async () => {
    secondary.defaultResponse = PCM;
    await routedSamples(sut, request('duo'), { requestId: 'k1' });
    expect(sut.catalog.get('duo')).toMatchObject({ available: false, servedByFallback: true, fallbackProvider: 'secondary' });
    await new Promise((resolve) => setTimeout(resolve, 350));
    expect(sut.catalog.get('duo')).toMatchObject({ available: true, servedByFallback: false });
  });

  it('a retry the breaker refuses keeps the failure that was retried in the record', async () => {
    secondary.defaultResponse = PCM;
    primary.defaultResponse = { status: 500, body: { error: { message: 'boom' } }, delayMs: 100 };
    // Two requests fail twice each; the third failure opens the breaker, so neither gets its last retry.
    const both = await Promise.all([
      routedSamples(sut, request('duo'), { requestId: 'q1' }),
      routedSamples(sut, request('duo'), { requestId: 'q2' }),
    ]);
    expect(primary.calls).toBe(4);
    for (const routed of both) {
      expect(routed.provider).toBe('secondary');
      expect(routed.attempts[0]).toMatchObject({ provider: 'primary', outcome: 'provider_unavailable', retries: 1 });
      expect(routed.attempts[0].message).toMatch(/^primary answered HTTP 500: boom; then circuit open, next probe in 1 s$/);
    }
  });
});
