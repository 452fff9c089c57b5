/**
 * Streaming latency of the OpenAI-compatible face (`POST /v1/audio/speech`, what Bifrost-style
 * gateways call): for a 1,000-character text, the time to the first `speech.audio.delta` of
 * `stream_format: "sse"` against the time to the complete non-streamed response, side by side in the
 * same run, on the real api (authenticated, billed) with the local engines. Goal: the first chunk in
 * at most 25 % of the full time. Rounds alternate the two modes; medians are reported.
 * Standalone: `npm run build && node dist/bench/run.js bifrost` (BENCH_BIFROST_ROUNDS, default 5).
 */
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { percentile, round, Suite } from './suite';

const ROUNDS = Math.max(1, Number(process.env.BENCH_BIFROST_ROUNDS ?? 5));
const TARGET_SHARE = 0.25;
const SENTENCES = [
  'Habari za asubuhi, wapendwa wasikilizaji.',
  'Leo tunazungumzia hali ya hewa katika mji wa Dar es Salaam na maeneo ya pwani.',
  'Jua linawaka tangu alfajiri na upepo mwanana unavuma kutoka baharini.',
  'Wakulima wa mikoa ya kusini wanatarajia mvua za wastani wiki ijayo.',
  'Wavuvi wanashauriwa kuwa makini kwa sababu mawimbi yanaweza kuwa makubwa jioni.',
  'Katika habari za michezo, timu ya taifa imeshinda mechi yake ya kirafiki kwa mabao mawili kwa moja.',
  'Mashabiki walijaa uwanjani na kuimba nyimbo za kuwatia moyo wachezaji.',
  'Serikali imetangaza mpango mpya wa kuboresha barabara za vijijini.',
  'Wananchi wanaombwa kutoa maoni yao kabla ya mwisho wa mwezi huu.',
  'Shule nyingi zitafunguliwa tena baada ya likizo fupi ya katikati ya muhula.',
  'Wazazi wanakumbushwa kuwapeleka watoto kupata chanjo katika vituo vya afya vilivyo karibu.',
  'Asanteni kwa kusikiliza, na muwe na siku njema yenye amani na furaha tele.',
];
/** Exactly 1,000 characters of ordinary sentences (the last one cut). */
const TEXT = SENTENCES.join(' ').repeat(2).slice(0, 1000);
const CASES = [
  { model: 'vits/sauti-test-v1', format: 'pcm' },
  { model: 'vits/sauti-test-v1', format: 'mp3' },
  { model: 'espeak/sw', format: 'pcm' },
  { model: 'espeak/sw', format: 'mp3' },
];

interface Round {
  fullMs: number;
  firstChunkMs: number;
  sseTotalMs: number;
}

async function fullResponse(base: string, key: string, body: object): Promise<number> {
  const started = performance.now();
  const response = await fetch(`${base}/v1/audio/speech`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 200) throw new Error(`full response: HTTP ${response.status} ${await response.text()}`);
  await response.arrayBuffer();
  return performance.now() - started;
}

/** Time to the first delta event and to the end of the stream. */
async function sseResponse(base: string, key: string, body: object): Promise<{ firstChunkMs: number; totalMs: number }> {
  const started = performance.now();
  const response = await fetch(`${base}/v1/audio/speech`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ ...body, stream_format: 'sse' }),
  });
  if (response.status !== 200 || !response.body) throw new Error(`sse: HTTP ${response.status} ${await response.text()}`);
  const decoder = new TextDecoder();
  let text = '';
  let firstChunkMs = Number.NaN;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    text += decoder.decode(chunk, { stream: true });
    if (Number.isNaN(firstChunkMs) && text.includes('"speech.audio.delta"')) firstChunkMs = performance.now() - started;
  }
  if (!text.includes('"speech.audio.done"')) throw new Error('sse: the stream ended without speech.audio.done');
  return { firstChunkMs, totalMs: performance.now() - started };
}

async function measure(base: string, key: string, model: string, format: string): Promise<Record<string, unknown>> {
  const body = { model, voice: 'alloy', input: TEXT, response_format: format };
  await fullResponse(base, key, body); // warm-up: models loaded, encoders probed
  await sseResponse(base, key, body);
  const rounds: Round[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const fullMs = await fullResponse(base, key, body);
    const sse = await sseResponse(base, key, body);
    rounds.push({ fullMs, firstChunkMs: sse.firstChunkMs, sseTotalMs: sse.totalMs });
  }
  const median = (pick: (r: Round) => number) => percentile(rounds.map(pick), 50);
  const share = median((r) => r.firstChunkMs) / median((r) => r.fullMs);
  return {
    model,
    format,
    'full response ms (p50)': round(
      median((r) => r.fullMs),
      1,
    ),
    'first SSE chunk ms (p50)': round(
      median((r) => r.firstChunkMs),
      1,
    ),
    'SSE complete ms (p50)': round(
      median((r) => r.sseTotalMs),
      1,
    ),
    'first chunk / full': round(share, 3),
    [`≤ ${TARGET_SHARE * 100} %`]: share <= TARGET_SHARE ? 'yes' : 'NO',
  };
}

export const bifrostSuite: Suite = {
  name: 'bifrost',
  description: `time to the first SSE audio chunk vs the complete response, ${TEXT.length}-character text, ${ROUNDS} rounds (BENCH_BIFROST_ROUNDS)`,
  async run() {
    // Loaded only now: the api needs Postgres and Redis; the benchmarks' own database is created and migrated.
    const { prepareBenchEnvironment } = await import('./bench-environment');
    const { createApiApp } = await import('../src/api-app');
    const { AppConfig } = await import('../src/config/app-config');
    const { TenantsService } = await import('../src/tenants/tenants.service');
    await prepareBenchEnvironment();
    const app = await createApiApp(AppConfig.load(process.env));
    await app.listen(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const { apiKey } = await app.get(TenantsService).create(`bench ${Date.now()}`, 1_000_000_000);
      const rows = [];
      for (const { model, format } of CASES) rows.push(await measure(base, apiKey.plaintext, model, format));
      return {
        characters: [...TEXT].length,
        sentences: TEXT.split(/(?<=[.!?])\s+/).length,
        rounds: ROUNDS,
        goal: `first chunk ≤ ${TARGET_SHARE * 100} % of the full time`,
        rows,
      };
    } finally {
      await app.close();
    }
  },
};
