import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Client } from 'pg';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_DIR, writeConfigDir } from '../fakes/routing-fixture';
import { ScriptableUpstream, toneWav } from '../fakes/scriptable-upstream';

export const FAKE_VOICE = 'fake-upstream-voice';

/**
 * A CONFIG_DIR whose catalogue has `fake-upstream-voice`, served only by an OpenAI-compatible fake
 * upstream the test scripts (slow, failing, hanging), plus the environment for api and worker.
 */
export async function startJobFixture(
  options: { voices?: Array<Record<string, unknown>> } = {},
): Promise<{ upstream: ScriptableUpstream; env: Record<string, string> }> {
  await failLeftoverJobs();
  const upstream = await ScriptableUpstream.start();
  upstream.defaultResponse = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
  return {
    upstream,
    env: {
      CONFIG_DIR: fakeUpstreamConfigDir(upstream, options.voices),
      // A queue of this fixture's own: a worker never picks up another test file's BullMQ jobs.
      QUEUE_PREFIX: `${process.env.QUEUE_PREFIX}-${randomBytes(3).toString('hex')}`,
      FAKE_UPSTREAM_KEY: 'fake-key',
      JOB_LOCK_DURATION_MS: '2000',
      MAINTENANCE_INTERVAL_MS: '300',
      JOB_RELAY_MIN_AGE_MS: '0',
      JOB_MAX_ATTEMPTS: '2',
      INFERENCE_POOL_SIZE: '2',
    },
  };
}

/**
 * A CONFIG_DIR whose catalogue adds `fake-upstream-voice`, served only by the OpenAI-compatible
 * `upstream` (provider `fake`, key variable FAKE_UPSTREAM_KEY), without retries or a breaker that opens,
 * and any `voices` a test adds (routes.yaml entries).
 */
export function fakeUpstreamConfigDir(upstream: ScriptableUpstream, voices: Array<Record<string, unknown>> = []): string {
  const providers = parse(readFileSync(join(DEFAULT_CONFIG_DIR, 'providers.yaml'), 'utf8'));
  providers.providers.push({
    id: 'fake',
    kind: 'openai-compatible',
    base_url: upstream.url,
    api_key_env: 'FAKE_UPSTREAM_KEY',
    timeout_ms: 60_000,
    models: ['fake-model'],
    default_voice: 'fake',
    response_format: 'wav',
  });
  // The same upstream offering only raw PCM: whatever else a client asks for is transcoded here.
  providers.providers.push({
    id: 'fake-pcm',
    kind: 'openai-compatible',
    base_url: upstream.url,
    api_key_env: 'FAKE_UPSTREAM_KEY',
    timeout_ms: 60_000,
    models: ['fake-model'],
    default_voice: 'fake',
    response_format: 'pcm',
    pcm_sample_rate: 24000,
    native_formats: ['pcm'],
  });
  providers.retry = { ...providers.retry, max_retries: 0 };
  providers.breaker = { ...providers.breaker, failure_threshold: 1000 };
  const routes = parse(readFileSync(join(DEFAULT_CONFIG_DIR, 'routes.yaml'), 'utf8'));
  routes.voices.push({
    id: FAKE_VOICE,
    name: 'Fake upstream voice',
    language: 'sw',
    sample_rate: 16000,
    chain: [{ provider: 'fake', voice: 'fake', model: 'fake-model', timeout_ms: 60_000 }],
  });
  routes.voices.push(...voices);
  return writeConfigDir({ 'providers.yaml': providers, 'routes.yaml': routes });
}

/**
 * Test files of one jest run share the database. Jobs an earlier file left queued or running (its
 * worker was stopped) would otherwise be relayed to this file's worker, and their `fake` route would
 * reach this file's upstream and eat its scripted answers.
 */
async function failLeftoverJobs(): Promise<void> {
  const client = new Client({ connectionString: process.env.DATABASE_URL });
  await client.connect();
  try {
    await client.query(
      `UPDATE synthesis_jobs SET status = 'failed', error_code = 'internal', error_message = 'left over by an earlier test file', completed_at = now(), expires_at = now()
        WHERE status IN ('queued', 'running')`,
    );
  } finally {
    await client.end();
  }
}
