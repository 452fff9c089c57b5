process.chdir('/work/main');
const D = '/work/main/dist';
const pg = require('/work/main/node_modules/pg');
const Redis = require('/work/main/node_modules/ioredis');
let cur = null;
const wrap = (proto, name, key) => { const orig = proto[name]; proto[name] = function (...a) { const t = performance.now(); const r = orig.apply(this, a); if (cur && r && r.then) { const c = cur; r.then(() => { c[key] += performance.now() - t; c[key + 'N']++; }, () => {}); } return r; }; };
wrap(pg.Client.prototype, 'query', 'pg');
wrap(Redis.prototype, 'sendCommand', 'redis');
const http = require('node:http');
const { prepareBenchEnvironment } = require(D + '/bench/bench-environment');
const { startUpstreamThread } = require(D + '/test/fakes/upstream-thread');
const { configFor, writeConfigDir } = require(D + '/test/fakes/routing-fixture');
const { postJson } = require(D + '/bench/suite');
(async () => {
  const env = await prepareBenchEnvironment();
  const fake = await startUpstreamThread(4800);
  const files = {
    'providers.yaml': { providers: [{ id: 'vits', kind: 'vits' }, { id: 'espeak', kind: 'espeak' }, { id: 'fake', kind: 'openai-compatible', base_url: fake.url, timeout_ms: 5000, response_format: 'pcm', pcm_sample_rate: 24000, default_voice: 'alloy' }], breaker: { failure_threshold: 1000, window_ms: 1000, cooldown_ms: 1000 } },
    'routes.yaml': { voices: [{ id: 'bench-voice', name: 'Bench', language: 'en', sample_rate: 24000, chain: [{ provider: 'fake', voice: 'alloy', model: 'tts-1' }] }], implicit_sample_rate: 24000 },
    'rate-limits.yaml': { defaults: { requests_per_minute: 10000000, job_creates_per_minute: 10000000, job_polls_per_minute: 10000000, max_active_jobs: 1000 } },
  };
  const { createApiApp } = require(D + '/src/api-app');
  const { TenantsService } = require(D + '/src/tenants/tenants.service');
  const app = await createApiApp(configFor(writeConfigDir(files), env));
  await app.listen(0, '127.0.0.1');
  const base = `http://127.0.0.1:${app.getHttpServer().address().port}`;
  const { apiKey } = await app.get(TenantsService).create('probe', 1e9);
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const body = JSON.stringify({ text: 'Habari za asubuhi.' });
  const sb = JSON.stringify({ model: 'tts-1', input: 'Habari za asubuhi.', voice: 'alloy', response_format: 'pcm' });
  const headers = { 'xi-api-key': apiKey.plaintext };
  for (let i = 0; i < 300; i++) { await postJson(agent, `${base}/v1/text-to-speech/bench-voice`, body, headers); await postJson(agent, `${fake.url}/v1/audio/speech`, sb, {}); }
  const rows = [], direct = [];
  for (let i = 0; i < 2000; i++) {
    let t = performance.now(); await postJson(agent, `${fake.url}/v1/audio/speech`, sb, {}); direct.push(performance.now() - t);
    cur = { pg: 0, pgN: 0, redis: 0, redisN: 0 };
    t = performance.now(); const s = await postJson(agent, `${base}/v1/text-to-speech/bench-voice`, body, headers); cur.total = performance.now() - t; if (s !== 200) throw new Error('status ' + s);
    rows.push(cur); cur = null;
  }
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[s.length >> 1].toFixed(3); };
  console.log('direct p50', med(direct), 'proxied p50', med(rows.map(r => r.total)), 'pg p50', med(rows.map(r => r.pg)), 'pgN', med(rows.map(r => r.pgN)), 'redis p50', med(rows.map(r => r.redis)), 'redisN', med(rows.map(r => r.redisN)));
  await app.close(); await fake.close(); agent.destroy(); process.exit(0);
})();
