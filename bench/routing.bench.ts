/**
 * Added latency of the routing proxy in front of a local fake upstream that answers at once, side by
 * side with calling the fake directly in the same run:
 *   1. the routing path alone: SynthesisRouter.open → openai-compatible provider → fake, its PCM passed through;
 *   2. a full authenticated, credit-billed request: POST /v1/text-to-speech/{voice} on the real api.
 * Each is measured sequentially (warm-up, then alternating rounds; median of round medians) and under
 * an open-loop load of 200 requests/s for 30 s. The load generator is our own, in a worker thread:
 * request i leaves at t0 + i·5 ms and its latency counts from that scheduled time (no coordinated
 * omission). autocannon was tried first: its rate limit lets each connection send its per-second quota
 * back to back at the start of every second, so it measured burst queueing, and its histogram keeps
 * whole milliseconds only.
 * Then the per-key rate limiter variants (bench/rate-limiter-variants.ts) take turns inside the same
 * billed request; BENCH_LIMITERS picks them (default: all). The provider breaker variants
 * (bench/breaker-variants.ts) take turns inside the routed call and the billed request (BENCH_BREAKERS
 * picks them), and their required behaviours and wrapper costs are checked (bench/breaker-scenarios.ts).
 * Standalone: `npm run build && node dist/bench/routing.bench.js` (BENCH_LOAD_SECONDS shortens the load).
 */
import { existsSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { AudioPipeline } from '../src/audio/audio-pipeline';
import { AudioStream, collectBytes, onePiece } from '../src/audio/audio-stream';
import { floatToPcm16 } from '../src/audio/wav';
import { DEFAULT_VOICE_SETTINGS } from '../src/common/voice-settings';
import type { SynthesisRequest } from '../src/synthesis/synthesis-request';
import { AppConfig } from '../src/config/app-config';
import { ProviderStates } from '../src/synthesis/routing/provider-states';
import { breakerScenarios, cancelDuringRetryAfter, cockatielQueuesBehindTheProbe, wrapperCostPerCall } from './breaker-scenarios';
import { compareBreakersInRequest } from './breaker-variants';
import { percentile, postJson, round, Suite } from './suite';
import { LOAD_RATE, LOAD_SECONDS, LoadSide, openLoopLoad } from '../test/fakes/open-loop-load';
import { configFor, RoutingContext, startRoutingContext, UNLIMITED_RATE_LIMITS, writeConfigDir } from '../test/fakes/routing-fixture';
import { FakeUpstream, startUpstreamThread } from '../test/fakes/upstream-thread';

const TEXT = 'Habari za asubuhi.';
/** 0.1 s of 24 kHz 16-bit PCM: a small, realistic answer, returned at once. */
const UPSTREAM_BYTES = 4800;
const SPEECH_BODY = JSON.stringify({ model: 'tts-1', input: TEXT, voice: 'alloy', response_format: 'pcm' });

/** One call; resolves with the HTTP status (200 for an in-process call that succeeded). */
type Call = () => Promise<number>;

export function files(fake: FakeUpstream): Record<string, unknown> {
  return {
    'providers.yaml': {
      providers: [
        { id: 'vits', kind: 'vits' },
        { id: 'espeak', kind: 'espeak' },
        {
          id: 'fake',
          kind: 'openai-compatible',
          base_url: fake.url,
          timeout_ms: 5000,
          response_format: 'pcm',
          // The fake answers raw PCM whatever it is asked: never ask it for a format passed through (the Sauti face's WAV).
          native_formats: ['pcm'],
          pcm_sample_rate: 24000,
          default_voice: 'alloy',
        },
      ],
      breaker: { failure_threshold: 1000, window_ms: 1000, cooldown_ms: 1000 },
    },
    // Same rate as the upstream: the figure is routing, not resampling (measured separately below).
    'routes.yaml': {
      voices: [
        {
          id: 'bench-voice',
          name: 'Bench',
          language: 'en',
          sample_rate: 24000,
          chain: [{ provider: 'fake', voice: 'alloy', model: 'tts-1' }],
        },
      ],
      implicit_sample_rate: 24000,
    },
    'rate-limits.yaml': UNLIMITED_RATE_LIMITS,
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

const post = (url: string, body: string, headers: Record<string, string> = {}) => postJson(agent, url, body, headers);

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

const round3 = (value: number) => round(value, 3);

/** A failed call is counted, never timed: a fast error must not pass for a fast answer. */
async function timeOnce(call: Call, errors: { count: number }): Promise<number | undefined> {
  const started = process.hrtime.bigint();
  const status = await call().catch(() => 0);
  const elapsed = Number(process.hrtime.bigint() - started) / 1e6;
  if (status >= 200 && status < 300) return elapsed;
  errors.count++;
  return undefined;
}

/** Warm-up, then rounds alternating direct and proxied; the figure is the median of round medians. */
async function sequential(direct: Call, proxied: Call, rounds = 20, perRound = 100, warmup = 300): Promise<Record<string, number>> {
  const errors = { direct: { count: 0 }, proxied: { count: 0 } };
  for (let i = 0; i < warmup; i++) {
    await timeOnce(direct, errors.direct);
    await timeOnce(proxied, errors.proxied);
  }
  const medians = { direct: [] as number[], proxied: [] as number[] };
  const all = { direct: [] as number[], proxied: [] as number[] };
  for (let round = 0; round < rounds; round++) {
    for (const side of ['direct', 'proxied'] as const) {
      const samples: number[] = [];
      for (let i = 0; i < perRound; i++) {
        const elapsed = await timeOnce(side === 'direct' ? direct : proxied, errors[side]);
        if (elapsed !== undefined) samples.push(elapsed);
      }
      if (samples.length > 0) medians[side].push(median(samples));
      all[side].push(...samples);
    }
  }
  const directP50 = median(medians.direct);
  const proxiedP50 = median(medians.proxied);
  return {
    directMedianMs: round3(directP50),
    proxiedMedianMs: round3(proxiedP50),
    addedMedianMs: round3(proxiedP50 - directP50),
    directP99Ms: round3(percentile(all.direct, 99)),
    proxiedP99Ms: round3(percentile(all.proxied, 99)),
    addedP99Ms: round3(percentile(all.proxied, 99) - percentile(all.direct, 99)),
    samplesPerSide: Math.min(all.direct.length, all.proxied.length),
    // Warm-up included: a run that failed anywhere is reported as such.
    errors: errors.direct.count + errors.proxied.count,
  };
}

function added(direct: LoadSide, proxied: LoadSide): { addedP50Ms: number; addedP99Ms: number } {
  return { addedP50Ms: round3(proxied.p50Ms - direct.p50Ms), addedP99Ms: round3(proxied.p99Ms - direct.p99Ms) };
}

function request(route: string): SynthesisRequest {
  return { text: TEXT, characters: TEXT.length, route, fallbacks: [], settings: { ...DEFAULT_VOICE_SETTINGS }, format: 'pcm' };
}

/** One routed call whose PCM passes through, read to the end: the routing path without a face. */
async function routeOnce(context: RoutingContext): Promise<{ attempts: Array<{ retries: number; message?: string }>; bytes: Buffer }> {
  const route = context.router.resolve(request('bench-voice'));
  const output = { format: 'pcm' as const, sampleRate: route.sampleRate };
  const pipeline = context.app.get(AudioPipeline);
  const routed = await context.router.open(route, request('bench-voice'), {
    requestId: 'bench',
    signal: new AbortController().signal,
    output,
    convert: (audio, signal) => pipeline.convert(audio, output, signal),
  });
  return { attempts: routed.attempts, bytes: await collectBytes(routed.audio.chunks) };
}

/** (1) The routing path alone; under load it sits behind a bare node:http front (no Nest, no auth). */
async function routingPath(fake: FakeUpstream): Promise<Figures> {
  const context = await startRoutingContext(configFor(writeConfigDir(files(fake))));
  const direct: Call = () => post(`${fake.url}/v1/audio/speech`, SPEECH_BODY);
  const proxied: Call = async () => (await routeOnce(context), 200);
  const retried = new Map<string, number>();
  const front = http.createServer((incoming, outgoing) => {
    incoming.resume();
    incoming.on('end', () => {
      routeOnce(context)
        .then((routed) => {
          for (const attempt of routed.attempts)
            if (attempt.retries > 0) retried.set(attempt.message ?? '', (retried.get(attempt.message ?? '') ?? 0) + 1);
          return routed;
        })
        .then((routed) => outgoing.writeHead(200, { 'content-type': 'audio/pcm' }).end(routed.bytes))
        .catch(() => outgoing.writeHead(502).end());
    });
  });
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  try {
    const sequentialFigures = await sequential(direct, proxied);
    const loadDirect = await openLoopLoad(`${fake.url}/v1/audio/speech`, {}, SPEECH_BODY);
    const loadProxied = await openLoopLoad(`http://127.0.0.1:${(front.address() as AddressInfo).port}/`, {}, SPEECH_BODY);
    const breakers = await compareBreakersInRequest(
      context.app.get(ProviderStates),
      context.app.get(AppConfig).providers.breaker,
      proxied,
      {
        rounds: 30,
        perRound: 100,
        warmup: 300,
      },
    );
    return {
      sequential: sequentialFigures,
      load: { rate: LOAD_RATE, seconds: LOAD_SECONDS, direct: loadDirect, proxied: loadProxied, ...added(loadDirect, loadProxied) },
      retriedUnderLoad: Object.fromEntries(retried),
      breakers,
    };
  } finally {
    await new Promise((resolve) => front.close(resolve));
    await context.close();
  }
}

/**
 * What converting costs, measured apart so the routing figures stay those of PCM passed through: 24 kHz
 * PCM encoded to mp3 in-process, and an mp3 answer decoded by an ffmpeg started ahead (an upstream that
 * can only send mp3, going to a client that asked for PCM), for a short and a long answer.
 */
async function conversionCosts(): Promise<Record<string, unknown>> {
  const pipeline = new AudioPipeline();
  const figures: Record<string, unknown> = {};
  try {
    for (const seconds of [1, 10]) {
      const samples = new Float32Array(24000 * seconds).map((_, i) => 0.4 * Math.sin(i / 10));
      const pcm = floatToPcm16(samples);
      const mp3 = (await pipeline.encode(samples, 24000, { format: 'mp3', sampleRate: 24000 })).bytes;
      const encodeTimes: number[] = [];
      const decodeTimes: number[] = [];
      for (let i = 0; i < 40; i++) {
        let started = performance.now();
        await collectBytes(pipeline.convert(pcmStream(pcm), { format: 'mp3', sampleRate: 24000 }).chunks);
        encodeTimes.push(performance.now() - started);
        started = performance.now();
        await collectBytes(
          pipeline.convert(
            { descriptor: { format: 'mp3', sampleRate: 24000, channels: 1 }, chunks: onePiece(mp3) },
            { format: 'pcm', sampleRate: 24000 },
          ).chunks,
        );
        decodeTimes.push(performance.now() - started);
      }
      figures[`pcm → mp3, ${seconds} s, in-process`] = {
        p50Ms: round3(percentile(encodeTimes, 50)),
        p90Ms: round3(percentile(encodeTimes, 90)),
      };
      figures[`mp3 → pcm, ${seconds} s (${mp3.length} bytes), ffmpeg started ahead`] = {
        p50Ms: round3(percentile(decodeTimes, 50)),
        p90Ms: round3(percentile(decodeTimes, 90)),
      };
    }
  } finally {
    pipeline.close();
  }
  return figures;
}

function pcmStream(pcm: Buffer): AudioStream {
  return { descriptor: { format: 'pcm', sampleRate: 24000, channels: 1 }, byteLength: pcm.length, chunks: onePiece(pcm) };
}

/** (2) A full authenticated, credit-billed request through the Sauti face, when that face exists. */
async function fullRequest(fake: FakeUpstream): Promise<Figures> {
  if (!existsSync(join(__dirname, '..', 'src', 'faces', 'sauti')))
    return { status: 'pending the Sauti face (POST /v1/text-to-speech/{voice_id})' };
  // Loaded only now: the api needs Postgres and Redis.
  const { createApiApp } = await import('../src/api-app');
  const { TenantsService } = await import('../src/tenants/tenants.service');
  const database = await routingBenchDatabase();
  const config = configFor(writeConfigDir(files(fake)), database.env);
  const app = await createApiApp(config);
  await app.listen(0, '127.0.0.1');
  try {
    const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const { apiKey } = await app.get(TenantsService).create(`bench ${Date.now()}`, 1_000_000_000);
    const headers = { 'xi-api-key': apiKey.plaintext };
    const body = JSON.stringify({ text: TEXT });
    const status = await post(`${base}/v1/text-to-speech/bench-voice`, body, headers);
    if (status === 404) return { status: 'pending the Sauti face: POST /v1/text-to-speech/{voice_id} answered 404' };
    if (status !== 200) return { status: `the Sauti face answered HTTP ${status}; not measured` };
    const direct: Call = () => post(`${fake.url}/v1/audio/speech`, SPEECH_BODY);
    const proxied: Call = () => post(`${base}/v1/text-to-speech/bench-voice`, body, headers);
    const sequentialFigures = await sequential(direct, proxied);
    const loadDirect = await openLoopLoad(`${fake.url}/v1/audio/speech`, {}, SPEECH_BODY);
    const loadProxied = await openLoopLoad(`${base}/v1/text-to-speech/bench-voice`, headers, body);
    const { RateLimiter } = await import('../src/tenants/rate-limiter');
    const { RateLimitLeases } = await import('../src/tenants/rate-limit-leases');
    const { RedisConnection } = await import('../src/redis/redis-connection');
    const { compareLimiters } = await import('./rate-limiter-variants');
    const rateLimiters = await compareLimiters(app.get(RateLimiter), app.get(RateLimitLeases), app.get(RedisConnection), proxied);
    const breakers = await compareBreakersInRequest(app.get(ProviderStates), app.get(AppConfig).providers.breaker, proxied, {
      rounds: 30,
      perRound: 50,
      warmup: 200,
    });
    return {
      sequential: sequentialFigures,
      load: { rate: LOAD_RATE, seconds: LOAD_SECONDS, direct: loadDirect, proxied: loadProxied, ...added(loadDirect, loadProxied) },
      rateLimiters,
      breakers,
    };
  } finally {
    await app.close();
    await database.drop();
  }
}

/**
 * A database and Redis prefix of this suite's own, migrated fresh and dropped afterwards: other suites
 * recreate `sauti_bench` when they start, which would pull the tenant from under a running load phase.
 */
export async function routingBenchDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const { Client } = await import('pg');
  const { DataSource } = await import('typeorm');
  const { dataSourceOptions } = await import('../src/database/data-source-options');
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const name = `sauti_bench_routing_${process.pid}`;
  const env = {
    DATABASE_URL: `${server}/${name}`,
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/10',
    QUEUE_PREFIX: `sauti-bench-routing-${process.pid}`,
    LOG_LEVEL: 'warn',
    API_KEY_CACHE_TTL_MS: '5000',
  };
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: `${server}/postgres` });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  const dataSource = await new DataSource(dataSourceOptions(env.DATABASE_URL)).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  return { env, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

interface LoadFigures {
  rate: number;
  seconds: number;
  direct: LoadSide;
  proxied: LoadSide;
  addedP50Ms: number;
  addedP99Ms: number;
}
type Figures = Record<string, unknown> & { status?: string; sequential?: Record<string, number>; load?: LoadFigures };

/** One table row per path and mode: what the proxy adds over calling the fake directly. */
function rows(path: string, figures: Figures): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  if (figures.sequential) {
    const f = figures.sequential;
    out.push({
      path,
      mode: 'sequential',
      directP50Ms: f.directMedianMs,
      proxiedP50Ms: f.proxiedMedianMs,
      addedP50Ms: f.addedMedianMs,
      directP99Ms: f.directP99Ms,
      proxiedP99Ms: f.proxiedP99Ms,
      addedP99Ms: f.addedP99Ms,
      errors: f.errors,
    });
  }
  if (figures.load) {
    const f = figures.load;
    out.push({
      path,
      mode: `${LOAD_RATE}/s for ${LOAD_SECONDS}s`,
      directP50Ms: f.direct.p50Ms,
      proxiedP50Ms: f.proxied.p50Ms,
      addedP50Ms: f.addedP50Ms,
      directP99Ms: f.direct.p99Ms,
      proxiedP99Ms: f.proxied.p99Ms,
      addedP99Ms: f.addedP99Ms,
      errors: f.direct.errors + f.proxied.errors + f.direct.non2xx + f.proxied.non2xx,
    });
  }
  return out;
}

/** The issue's goals, each checked in both modes; a run with errors meets no goal. */
const GOALS = [
  { path: 'routing path alone', figure: 'addedP50Ms', boundMs: 1 },
  { path: 'routing path alone', figure: 'addedP99Ms', boundMs: 10 },
  { path: 'full authenticated, billed request', figure: 'addedP50Ms', boundMs: 3 },
] as const;

function verdicts(rows: Record<string, unknown>[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const goal of GOALS) {
    for (const row of rows.filter((candidate) => candidate.path === goal.path)) {
      const measured = row[goal.figure] as number;
      const met = measured <= goal.boundMs && row.errors === 0;
      out[`${goal.path}, ${row.mode}, ${goal.figure} ≤ ${goal.boundMs} ms`] =
        `${met ? 'met' : 'MISSED'} (${measured} ms${row.errors ? `, ${row.errors} errors` : ''})`;
    }
  }
  return out;
}

export const routingSuite: Suite = {
  name: 'routing',
  description:
    'added latency of the proxy in front of a fake upstream that answers at once (goals: routing p50 ≤ 1 ms, p99 ≤ 10 ms; full request p50 ≤ 3 ms)',
  async run() {
    const fake = await startUpstreamThread(UPSTREAM_BYTES);
    try {
      const routing = await routingPath(fake);
      const full = await fullRequest(fake);
      const decode = await conversionCosts();
      const breakerVariants = {
        routedCall: routing.breakers,
        billedRequest: full.breakers,
        wrapperCostNsPerCall: await wrapperCostPerCall(),
        behaviours: await breakerScenarios(),
        cockatielAsShippedWhileAProbeIsOut: await cockatielQueuesBehindTheProbe(),
        cancelDuringARetryAfterWait: await cancelDuringRetryAfter(),
      };
      const table = [...rows('routing path alone', routing), ...rows('full authenticated, billed request', full)];
      return {
        fullRequestStatus: full.status ?? 'measured',
        goals: verdicts(table),
        rows: table,
        routingPathAlone: routing,
        fullAuthenticatedBilledRequest: full,
        rateLimiterVariants: full.rateLimiters,
        breakerVariants,
        conversionCosts: decode,
      };
    } finally {
      agent.destroy();
      await fake.close();
    }
  },
};

if (require.main === module) {
  routingSuite
    .run()
    .then((result) => console.log(JSON.stringify(result, null, 2)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
