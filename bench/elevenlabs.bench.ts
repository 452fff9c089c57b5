/**
 * The ElevenLabs face, measured with the official SDK (`@elevenlabs/elevenlabs-js`) as its users call it.
 *
 * 1. Streaming: time to the first byte of `textToSpeech.stream` against the complete `convert`, for a
 *    1,000-character text, on the local voices (the goal: first byte ≤ 25 % of the full time).
 * 2. What the proxy adds: the SDK streaming from a fake ElevenLabs upstream on loopback directly, and
 *    the same SDK call through this service, whose voice is routed to that upstream (its mp3 passes
 *    through). The upstream sends 1 s of mp3_44100_128 in 10 pieces 20 ms apart.
 *
 * Rounds alternate the two sides so both see the same machine state. The api runs in this process.
 * Standalone: `npm run bench -- elevenlabs` (BENCH_ELEVENLABS_ROUNDS, default 15).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { parse } from 'yaml';
import { AudioPipeline } from '../src/audio/audio-pipeline';
import { DEFAULT_CONFIG_DIR, UNLIMITED_RATE_LIMITS, writeConfigDir } from '../test/fakes/routing-fixture';
import { ScriptableUpstream, toneSamples } from '../test/fakes/scriptable-upstream';
import { prepareBenchEnvironment } from './bench-environment';
import { percentile, round, Suite } from './suite';

const ROUNDS = Number(process.env.BENCH_ELEVENLABS_ROUNDS ?? 15);
const WARMUP = 2;
const LOCAL_VOICES = ['sauti-test-v1', 'sauti-swahili-v1'];
const UPSTREAM_VOICE = 'bench-elevenlabs-upstream';
const GOAL_SHARE = 0.25;

/** Exactly 1,000 characters of ordinary Swahili prose, in whole sentences but the last. */
const TEXT = (() => {
  const prose =
    'Habari za asubuhi. Leo tunazungumza kuhusu hali ya hewa katika mji wa Dar es Salaam. Jua linawaka na upepo mwanana unavuma kutoka baharini. ' +
    'Watoto wanakwenda shuleni na wazazi wao wanaelekea kazini mapema. Sokoni kuna matunda mengi: maembe, machungwa na ndizi tamu. ';
  return [...prose.repeat(6)].slice(0, 999).join('').concat('.');
})();

interface Timing {
  firstByteMs: number;
  totalMs: number;
}

/** Reads a web stream to its end, timing its first bytes and its end from `started`. */
async function drain(stream: ReadableStream<Uint8Array>, started: number): Promise<Timing> {
  let firstByteMs = 0;
  for await (const chunk of stream as unknown as AsyncIterable<Uint8Array>) {
    if (!firstByteMs && chunk.length > 0) firstByteMs = performance.now() - started;
  }
  return { firstByteMs, totalMs: performance.now() - started };
}

async function timedStream(open: () => Promise<ReadableStream<Uint8Array>>): Promise<Timing> {
  const started = performance.now();
  return drain(await open(), started);
}

function summary(timings: Timing[]) {
  const first = timings.map((timing) => timing.firstByteMs);
  const total = timings.map((timing) => timing.totalMs);
  return {
    firstP50: percentile(first, 50),
    firstP95: percentile(first, 95),
    totalP50: percentile(total, 50),
    totalP95: percentile(total, 95),
  };
}

/** 1 s of mp3_44100_128 as an ElevenLabs upstream would send it. */
async function upstreamMp3(): Promise<Buffer> {
  const pipeline = new AudioPipeline();
  try {
    return (await pipeline.encode(toneSamples(1, 44100), 44100, { format: 'mp3', sampleRate: 44100, exactRate: true, bitrateKbps: 128 }))
      .bytes;
  } finally {
    pipeline.close();
  }
}

function configWithUpstream(upstreamUrl: string): string {
  const providers = parse(readFileSync(join(DEFAULT_CONFIG_DIR, 'providers.yaml'), 'utf8'));
  providers.providers.push({
    id: 'bench-elevenlabs',
    kind: 'elevenlabs-compatible',
    base_url: upstreamUrl,
    timeout_ms: 30_000,
    default_voice: 'bench',
  });
  const routes = parse(readFileSync(join(DEFAULT_CONFIG_DIR, 'routes.yaml'), 'utf8'));
  routes.voices.push({
    id: UPSTREAM_VOICE,
    name: 'A fake ElevenLabs upstream on loopback',
    language: 'sw',
    sample_rate: 44100,
    chain: [{ provider: 'bench-elevenlabs', voice: 'bench', timeout_ms: 30_000 }],
  });
  return writeConfigDir({ 'providers.yaml': providers, 'routes.yaml': routes, 'rate-limits.yaml': UNLIMITED_RATE_LIMITS });
}

export const elevenLabsSuite: Suite = {
  name: 'elevenlabs',
  description: `the ElevenLabs SDK: stream's first byte vs the whole convert (${[...TEXT].length} characters), and the proxy's added latency over a loopback ElevenLabs upstream, ${ROUNDS} alternating rounds`,
  async run() {
    const { ElevenLabsClient } = await import('@elevenlabs/elevenlabs-js');
    const { createApiApp } = await import('../src/api-app');
    const { AppConfig } = await import('../src/config/app-config');
    const { TenantsService } = await import('../src/tenants/tenants.service');
    const { VoiceCatalog } = await import('../src/synthesis/routing/voice-catalog');
    const upstream = await ScriptableUpstream.start();
    upstream.defaultResponse = {
      status: 200,
      headers: { 'content-type': 'audio/mpeg' },
      body: await upstreamMp3(),
      pieces: { count: 10, intervalMs: 20 },
    };
    const env = await prepareBenchEnvironment('sauti_bench_elevenlabs');
    const config = AppConfig.load({ ...process.env, ...env, CONFIG_DIR: configWithUpstream(upstream.url) });
    const app = await createApiApp(config);
    await app.listen(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const { apiKey } = await app.get(TenantsService).create(`bench ${Date.now()}`, 1_000_000_000);
      const viaService = new ElevenLabsClient({ apiKey: apiKey.plaintext, baseUrl: `${base}/elevenlabs`, maxRetries: 0 });
      const direct = new ElevenLabsClient({ apiKey: 'upstream-key', baseUrl: upstream.url, maxRetries: 0 });

      const streaming = [];
      for (const voiceId of LOCAL_VOICES) {
        const voice = app.get(VoiceCatalog).get(voiceId)!;
        const servedBy = voice.available ? voice.engine : `${voice.fallbackProvider} (fallback)`;
        const stream = () => timedStream(() => viaService.textToSpeech.stream(voiceId, { text: TEXT }));
        const convert = () => timedStream(() => viaService.textToSpeech.convert(voiceId, { text: TEXT }));
        for (let i = 0; i < WARMUP; i++) {
          await stream();
          await convert();
        }
        const streamed: Timing[] = [];
        const converted: Timing[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          streamed.push(await stream());
          converted.push(await convert());
        }
        const s = summary(streamed);
        const c = summary(converted);
        streaming.push({
          voice: voiceId,
          'served by': servedBy,
          'stream first byte p50 ms': round(s.firstP50, 1),
          'stream first byte p95 ms': round(s.firstP95, 1),
          'stream whole p50 ms': round(s.totalP50, 1),
          'convert whole p50 ms': round(c.totalP50, 1),
          'convert whole p95 ms': round(c.totalP95, 1),
          'first byte / convert p50': round(s.firstP50 / c.totalP50, 3),
          [`≤ ${GOAL_SHARE * 100} %`]: s.firstP50 / c.totalP50 <= GOAL_SHARE ? 'yes' : 'NO',
        });
      }

      const directCall = () =>
        timedStream(() => direct.textToSpeech.stream('bench', { text: 'Habari za asubuhi.', outputFormat: 'mp3_44100_128' }));
      const proxiedCall = () =>
        timedStream(() => viaService.textToSpeech.stream(UPSTREAM_VOICE, { text: 'Habari za asubuhi.', outputFormat: 'mp3_44100_128' }));
      for (let i = 0; i < WARMUP; i++) {
        await directCall();
        await proxiedCall();
      }
      const directTimings: Timing[] = [];
      const proxiedTimings: Timing[] = [];
      for (let i = 0; i < ROUNDS * 2; i++) {
        directTimings.push(await directCall());
        proxiedTimings.push(await proxiedCall());
      }
      const d = summary(directTimings);
      const p = summary(proxiedTimings);
      const proxy = [
        {
          side: 'SDK → fake ElevenLabs (direct)',
          'first byte p50 ms': round(d.firstP50, 1),
          'first byte p95 ms': round(d.firstP95, 1),
          'whole p50 ms': round(d.totalP50, 1),
          'whole p95 ms': round(d.totalP95, 1),
        },
        {
          side: 'SDK → this service → fake',
          'first byte p50 ms': round(p.firstP50, 1),
          'first byte p95 ms': round(p.firstP95, 1),
          'whole p50 ms': round(p.totalP50, 1),
          'whole p95 ms': round(p.totalP95, 1),
        },
        {
          side: 'added by the service',
          'first byte p50 ms': round(p.firstP50 - d.firstP50, 1),
          'first byte p95 ms': round(p.firstP95 - d.firstP95, 1),
          'whole p50 ms': round(p.totalP50 - d.totalP50, 1),
          'whole p95 ms': round(p.totalP95 - d.totalP95, 1),
        },
      ];
      return {
        characters: [...TEXT].length,
        rounds: ROUNDS,
        goal: `stream first byte ≤ ${GOAL_SHARE * 100} % of the whole convert`,
        rows: [...streaming, ...proxy],
      };
    } finally {
      await app.close();
      await upstream.close();
    }
  },
};
