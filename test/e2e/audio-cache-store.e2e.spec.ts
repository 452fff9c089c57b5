import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { toneWav } from '../fakes/scriptable-upstream';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';

const run = promisify(execFile);
const CLI = join(__dirname, '..', '..', 'dist', 'src', 'cli.js');

const MAX_BYTES = 256 * 1024;
const MAX_ENTRY_BYTES = 150_000;

/** The store's bounds: least-recently-used eviction under AUDIO_CACHE_MAX_BYTES, the lifetime, the entry size limit, the CLI. */
describe('audio cache: the store', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let dataSource: DataSource;
  let tenantId: string;
  let apiKey: string;
  let fixtureEnv: Record<string, string>;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    fixtureEnv = fixture.env;
    upstream = fixture.upstream;
    // Three seconds of 16 kHz WAV: about 96 KB an entry, so two fit under the bound and a third does not.
    upstream.defaultResponse = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(3, 16000) };
    api = await startTestApi({
      ...fixture.env,
      AUDIO_CACHE_ENABLED: 'true',
      AUDIO_CACHE_MAX_BYTES: String(MAX_BYTES),
      AUDIO_CACHE_MAX_ENTRY_BYTES: String(MAX_ENTRY_BYTES),
      AUDIO_CACHE_TTL_SECONDS: '3600',
    });
    dataSource = api.app.get(DataSource);
    ({ tenantId, apiKey } = await api.createTenant(100_000));
  });
  beforeEach(() => dataSource.query(`DELETE FROM audio_cache`));
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const speak = async (text: string) => {
    const response = await fetch(`${api.baseUrl}/v1/text-to-speech/${FAKE_VOICE}`, {
      method: 'POST',
      headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text }),
    });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    return response.headers.get('x-cache');
  };
  const usage = async () => (await dataSource.query(`SELECT entries::int AS entries, bytes::int AS bytes FROM audio_cache_usage`))[0];
  const stored = async (n: number) => eventually(async () => expect((await usage()).entries).toBe(n));
  const metric = async (name: string) => {
    const line = (await (await fetch(`${api.baseUrl}/metrics`)).text()).split('\n').find((row) => row.startsWith(name));
    return line ? Number(line.split(' ').at(-1)) : 0;
  };

  it('evicts the least recently used entries once the bytes stored pass AUDIO_CACHE_MAX_BYTES', async () => {
    const evictedBefore = await metric('tts_audio_cache_evictions_total{reason="lru"}');
    expect(await speak('Ya kwanza.')).toBe('miss');
    await stored(1);
    expect(await speak('Ya pili.')).toBe('miss');
    await stored(2);
    // The first is used again, so the second is now the least recently used.
    expect(await speak('Ya kwanza.')).toBe('hit');
    expect(await speak('Ya tatu.')).toBe('miss');
    await eventually(async () => expect(await metric('tts_audio_cache_evictions_total{reason="lru"}')).toBe(evictedBefore + 1));
    const after = await usage();
    expect(after.entries).toBe(2);
    expect(after.bytes).toBeLessThanOrEqual(MAX_BYTES);
    const sum = await dataSource.query(`SELECT count(*)::int AS entries, sum(byte_size)::int AS bytes FROM audio_cache`);
    expect(sum[0]).toEqual(after); // the running totals agree with the table
    expect(await speak('Ya kwanza.')).toBe('hit');
    expect(await speak('Ya tatu.')).toBe('hit');
    expect(await speak('Ya pili.')).toBe('miss');
    expect(upstream.calls).toBe(4);
    // Stored again in the background, which evicts the least recently used once more.
    await eventually(async () => expect(await metric('tts_audio_cache_evictions_total{reason="lru"}')).toBe(evictedBefore + 2));
  });

  it('never serves an entry older than AUDIO_CACHE_TTL_SECONDS, and the next store deletes it', async () => {
    expect(await speak('Ya zamani.')).toBe('miss');
    await stored(1);
    await dataSource.query(`UPDATE audio_cache SET created_at = now() - interval '2 hours'`);
    const expiredBefore = await metric('tts_audio_cache_evictions_total{reason="expired"}');
    expect(await speak('Ya zamani.')).toBe('miss');
    await eventually(async () => expect(await metric('tts_audio_cache_evictions_total{reason="expired"}')).toBe(expiredBefore + 1));
    const rows = await dataSource.query(`SELECT created_at > now() - interval '1 minute' AS fresh FROM audio_cache`);
    expect(rows).toEqual([{ fresh: true }]);
    expect(await speak('Ya zamani.')).toBe('hit');
  });

  it("replaces the key's own expired entry, even behind a backlog of older expired ones", async () => {
    expect(await speak('Ya nyuma.')).toBe('miss');
    await stored(1);
    await dataSource.query(`UPDATE audio_cache SET created_at = now() - interval '2 hours'`);
    // 500 older expired entries: a store deletes expired entries 500 at a time, oldest first, so these go and the key's own stays.
    await dataSource.query(
      `INSERT INTO audio_cache (key, scope, audio, meta, byte_size, created_at, last_used_at)
       SELECT md5(i::text) || md5((i + 1000)::text), 'backlog', '\\x00'::bytea, '{}'::jsonb, 1, now() - interval '3 hours', now() - interval '3 hours'
         FROM generate_series(1, 500) AS i`,
    );
    expect(await speak('Ya nyuma.')).toBe('miss');
    await eventually(async () => {
      const rows = await dataSource.query(
        `SELECT created_at > now() - interval '1 minute' AS fresh FROM audio_cache WHERE scope <> 'backlog'`,
      );
      expect(rows).toEqual([{ fresh: true }]);
    });
    expect(await speak('Ya nyuma.')).toBe('hit');
  });

  it('expired entries leave the table on their own, every tenth of the lifetime (at least every second), not only when something is stored', async () => {
    const shortLived = await startTestApi({ ...fixtureEnv, AUDIO_CACHE_ENABLED: 'true', AUDIO_CACHE_TTL_SECONDS: '2' });
    try {
      const { apiKey: key, tenantId: tenant } = await shortLived.createTenant(1000);
      const response = await fetch(`${shortLived.baseUrl}/v1/text-to-speech/${FAKE_VOICE}`, {
        method: 'POST',
        headers: { 'xi-api-key': key, 'content-type': 'application/json' },
        body: JSON.stringify({ text: 'Ya muda mfupi.' }),
      });
      expect(response.headers.get('x-cache')).toBe('miss');
      await response.arrayBuffer();
      const entries = async () => (await dataSource.query(`SELECT count(*)::int AS n FROM audio_cache WHERE scope = $1`, [tenant]))[0].n;
      await eventually(async () => expect(await entries()).toBe(1));
      // Nothing else is stored: the sweep (every second here) deletes it once its 2 s are up.
      await eventually(async () => expect(await entries()).toBe(0), 6000, 100);
    } finally {
      await shortLived.close();
    }
  });

  it('an answer larger than AUDIO_CACHE_MAX_ENTRY_BYTES is served but not stored', async () => {
    upstream.enqueue({ status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(5, 16000) });
    expect(await speak('Ndefu mno.')).toBe('miss');
    expect(await speak('Ndefu kidogo.')).toBe('miss');
    await stored(1);
    expect(await speak('Ndefu mno.')).toBe('miss'); // now three seconds long: stored
    await stored(2);
  });

  it('the CLI shows the totals and clears one tenant, the shared entries, or everything', async () => {
    const cli = async (...args: string[]) =>
      JSON.parse((await run(process.execPath, [CLI, ...args, '--json'], { env: process.env })).stdout);
    await speak('Ya CLI.');
    await stored(1);
    const stats = await cli('cache', 'stats');
    expect(stats).toMatchObject({ entries: 1, bytes: (await usage()).bytes, maxBytes: expect.any(Number), ttlSeconds: expect.any(Number) });
    expect(await cli('cache', 'clear', '--tenant', '00000000-0000-4000-8000-000000000000')).toEqual({ deleted: 0 });
    expect(await cli('cache', 'clear', '--tenant', tenantId)).toEqual({ deleted: 1 });
    expect(await usage()).toEqual({ entries: 0, bytes: 0 });
    expect(await speak('Ya CLI.')).toBe('miss');
    await stored(1);
    expect(await cli('cache', 'clear')).toEqual({ deleted: 1 });
    await expect(run(process.execPath, [CLI, 'cache', 'clear', '--tenant', 'nope'], { env: process.env })).rejects.toMatchObject({
      code: 2,
    });
  });
});
