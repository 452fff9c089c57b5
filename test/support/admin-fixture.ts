import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { DEFAULT_CONFIG_DIR, writeConfigDir } from '../fakes/routing-fixture';
import { ScriptableUpstream } from '../fakes/scriptable-upstream';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdefghijklmnop';
/** An OpenAI-compatible provider the tests break on purpose: `flaky/tts-1`. */
export const FLAKY_PROVIDER = 'flaky';

/**
 * The shipped config plus a `flaky` upstream (a scripted loopback server) whose breaker opens after two
 * failed calls, with no retries, and the environment that turns the admin API on.
 */
export async function startAdminFixture(): Promise<{ upstream: ScriptableUpstream; env: Record<string, string> }> {
  const upstream = await ScriptableUpstream.start();
  upstream.defaultResponse = { status: 503, body: { error: { message: 'upstream is down for the test' } } };
  const providers = parse(readFileSync(join(DEFAULT_CONFIG_DIR, 'providers.yaml'), 'utf8'));
  providers.providers.push({
    id: FLAKY_PROVIDER,
    kind: 'openai-compatible',
    base_url: upstream.url,
    timeout_ms: 2000,
    default_voice: 'alloy',
    response_format: 'wav',
  });
  providers.retry = { ...providers.retry, max_retries: 0 };
  providers.breaker = { failure_threshold: 2, window_ms: 60_000, cooldown_ms: 600_000 };
  return {
    upstream,
    env: { CONFIG_DIR: writeConfigDir({ 'providers.yaml': providers }), ADMIN_TOKEN, OPENAI_API_KEY: '', ELEVENLABS_API_KEY: '' },
  };
}
