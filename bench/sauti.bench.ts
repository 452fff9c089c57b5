/**
 * The Sauti document promises "under 500 ms for inputs up to 200 characters". This measures a
 * 200-character POST /v1/text-to-speech/{voice_id} end to end (HTTP, key check, credit reserve and
 * settle in Postgres, routing, synthesis, WAV, base64 JSON) against the real api, and the serving
 * provider alone (the same provider object in the same process, same text), alternating the two so
 * both see the same machine state. Reported: p50/p95 of each and their ratio.
 * Voices: the generated test voice (always) and sauti-swahili-v1 (its VITS model when installed,
 * otherwise the eSpeak fallback that serves it, said in the row).
 * Standalone: `npm run build && node dist/bench/run.js sauti` (BENCH_SAUTI_ROUNDS, default 40).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_VOICE_SETTINGS } from '../src/common/voice-settings';
import { percentile, postJson, round, Suite } from './suite';

const ROUNDS = Number(process.env.BENCH_SAUTI_ROUNDS ?? 40);
const WARMUP = 3;
const VOICES = ['sauti-test-v1', 'sauti-swahili-v1'];
const PROMISED_MS = 500;

/** Exactly 200 characters of ordinary Swahili prose. */
const TEXT = [
  ...'Habari za asubuhi. Leo tunazungumza kuhusu hali ya hewa katika mji wa Dar es Salaam. Jua linawaka na upepo mwanana unavuma kutoka baharini. Watoto wanakwenda shuleni na wazazi wao wanaelekea kazini mapema.',
]
  .slice(0, 199)
  .join('')
  .concat('.');

const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

const post = (url: string, body: string, headers: Record<string, string>) => postJson(agent, url, body, headers);

async function timed(call: () => Promise<unknown>): Promise<number> {
  const started = process.hrtime.bigint();
  await call();
  return Number(process.hrtime.bigint() - started) / 1e6;
}

/** A migrated database of this run's own, dropped afterwards: other suites recreate the shared one. */
async function ownDatabase(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const { Client } = await import('pg');
  const { DataSource } = await import('typeorm');
  const { dataSourceOptions } = await import('../src/database/data-source-options');
  const server = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432';
  const name = `sauti_bench_face_${process.pid}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: `${server}/postgres` });
    await client.connect();
    await client.query(sql);
    await client.end();
  };
  await admin(`CREATE DATABASE ${name}`);
  const env = {
    DATABASE_URL: `${server}/${name}`,
    REDIS_URL: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/10',
    QUEUE_PREFIX: `sauti-bench-face-${process.pid}`,
    LOG_LEVEL: 'warn',
  };
  const dataSource = await new DataSource(dataSourceOptions(env.DATABASE_URL)).initialize();
  await dataSource.runMigrations({ transaction: 'each' });
  await dataSource.destroy();
  return { env, drop: () => admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`) };
}

export const sautiSuite: Suite = {
  name: 'sauti',
  description: `POST /v1/text-to-speech/{voice_id} with ${[...TEXT].length} characters end to end vs the serving provider alone, ${ROUNDS} alternating rounds`,
  async run() {
    // Loaded only now: the api needs Postgres and Redis.
    const { createApiApp } = await import('../src/api-app');
    const { AppConfig } = await import('../src/config/app-config');
    const { TenantsService } = await import('../src/tenants/tenants.service');
    const { ProviderRegistry } = await import('../src/providers/provider.registry');
    const { VoiceCatalog } = await import('../src/synthesis/routing/voice-catalog');
    const { DataSource } = await import('typeorm');
    const database = await ownDatabase();
    const config = AppConfig.load({ ...process.env, ...database.env });
    const app = await createApiApp(config);
    await app.listen(0, '127.0.0.1');
    try {
      const base = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
      const { tenant, apiKey } = await app.get(TenantsService).create(`bench ${Date.now()}`, 1_000_000_000);
      // Many rounds must measure synthesis, not the per-key limit.
      await app.get(DataSource).query(`UPDATE tenants SET rate_limit_requests_per_minute = 1000000 WHERE id = $1`, [tenant.id]);
      const rows = [];
      for (const voiceId of VOICES) {
        const catalogVoice = app.get(VoiceCatalog).get(voiceId)!;
        const entry = config.routes.voices.find((voice) => voice.id === voiceId)!;
        const target = catalogVoice.available
          ? entry.chain[0]
          : entry.chain.find((candidate) => candidate.provider === catalogVoice.fallbackProvider)!;
        const provider = app.get(ProviderRegistry).get(target.provider)!;
        // The provider alone, its stream read to the end.
        const alone = async () => {
          const audio = await provider.synthesize(
            {
              text: TEXT,
              voice: target.voice,
              settings: { ...DEFAULT_VOICE_SETTINGS },
              language: 'sw',
              output: { format: 'pcm', sampleRate: catalogVoice.sampleRate },
            },
            { signal: new AbortController().signal, timeoutMs: 60_000, requestId: 'bench' },
          );
          for await (const chunk of audio.chunks) void chunk;
        };
        const body = JSON.stringify({ text: TEXT });
        const endToEnd = async () => {
          const status = await post(`${base}/v1/text-to-speech/${voiceId}`, body, { 'xi-api-key': apiKey.plaintext });
          if (status !== 200) throw new Error(`POST /v1/text-to-speech/${voiceId} answered ${status}`);
        };
        for (let i = 0; i < WARMUP; i++) {
          await alone();
          await endToEnd();
        }
        const providerMs: number[] = [];
        const endToEndMs: number[] = [];
        for (let i = 0; i < ROUNDS; i++) {
          providerMs.push(await timed(alone));
          endToEndMs.push(await timed(endToEnd));
        }
        rows.push(row(voiceId, `${target.provider}${catalogVoice.available ? '' : ' (fallback)'}`, providerMs, endToEndMs));
      }
      return { characters: [...TEXT].length, rounds: ROUNDS, promise: `p95 < ${PROMISED_MS} ms for ≤ 200 characters`, rows };
    } finally {
      await app.close();
      await database.drop();
    }
  },
};

function row(voice: string, servedBy: string, providerMs: number[], endToEndMs: number[]): Record<string, unknown> {
  const p50 = { provider: percentile(providerMs, 50), endToEnd: percentile(endToEndMs, 50) };
  const p95 = { provider: percentile(providerMs, 95), endToEnd: percentile(endToEndMs, 95) };
  return {
    voice,
    'served by': servedBy,
    'provider p50 ms': round(p50.provider, 1),
    'provider p95 ms': round(p95.provider, 1),
    'end-to-end p50 ms': round(p50.endToEnd, 1),
    'end-to-end p95 ms': round(p95.endToEnd, 1),
    'ratio p50': round(p50.endToEnd / p50.provider, 2),
    'ratio p95': round(p95.endToEnd / p95.provider, 2),
    [`p95 < ${PROMISED_MS} ms`]: p95.endToEnd < PROMISED_MS ? 'yes' : 'NO',
  };
}
