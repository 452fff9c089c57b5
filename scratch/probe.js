process.chdir('/work/main');
const { spawn } = require('node:child_process');
const { prepareBenchEnvironment } = require('/work/main/dist/bench/bench-environment');
const { createApiApp } = require('/work/main/dist/src/api-app');
const { AppConfig } = require('/work/main/dist/src/config/app-config');
const { JobService } = require('/work/main/dist/src/jobs/job.service');
const { TenantsService } = require('/work/main/dist/src/tenants/tenants.service');
const { DataSource } = require('/work/main/node_modules/typeorm');
const { DEFAULT_VOICE_SETTINGS } = require('/work/main/dist/src/providers/tts-provider');
const pg = require('/work/main/node_modules/pg');
const qt = new Map(); let recording = false; var cur = {};
const origQ = pg.Client.prototype.query;
pg.Client.prototype.query = function (config, values, cb) {
  const text = (typeof config === 'string' ? config : config && config.text) || '';
  const t = performance.now();
  const r = origQ.call(this, config, values, cb);
  if (recording && r && r.then) r.then(() => { cur.q = performance.now() - t; const k = text.slice(0, 70).replace(/\s+/g, ' '); if (!qt.has(k)) qt.set(k, []); qt.get(k).push(performance.now() - t); }, () => {});
  return r;
};
const withWorker = process.argv[2] === 'worker';
(async () => {
  const env = await prepareBenchEnvironment();
  const worker = withWorker ? spawn(process.execPath, ['dist/src/worker.js'], { env: { ...process.env, ...env }, stdio: 'ignore' }) : null;
  const app = await createApiApp(AppConfig.load(process.env)); await app.init();
  const jobs = app.get(JobService);
  const { tenant } = await app.get(TenantsService).create('probe', 1e8);
  await app.get(DataSource).query('UPDATE tenants SET max_active_jobs = 100000 WHERE id = $1', [tenant.id]);
  const tx = [], enq = [], total = [];
  const origTx = app.get(DataSource).transaction.bind(app.get(DataSource));

  app.get(DataSource).transaction = async (...a) => { const t = performance.now(); try { return await origTx(...a); } finally { cur.tx = performance.now() - t; } };
  const q = jobs.queue; const origAdd = q.add.bind(q);
  q.add = async (...a) => { const t = performance.now(); try { return await origAdd(...a); } finally { cur.enq = performance.now() - t; } };
  await new Promise(r => setTimeout(r, 3000));
  recording = true; const rows = [];
  for (let i = 0; i < 240; i++) {
    const text = 'Habari za asubuhi. Leo tunajifunza kuhusu hali ya hewa katika mji wa Dar es Salaam, ambapo jua linawaka na upepo unavuma kutoka baharini. Watu wengi wanafanya kazi sokoni na ' + i;
    cur = {};
    const t = performance.now();
    await jobs.create(tenant.id, { text, characters: text.length, route: 'sauti-test-v1', fallbacks: [], settings: { ...DEFAULT_VOICE_SETTINGS }, format: 'wav' }, { face: 'sauti' });
    total.push(performance.now() - t); rows.push({ i, total: +(performance.now() - t).toFixed(2), q: +(cur.q||0).toFixed(2), enq: +(cur.enq||0).toFixed(2) }); tx.push(cur.tx); enq.push(cur.enq);
    await new Promise(r => setTimeout(r, 250 - (performance.now() - t)));
  }
  const p = (a, q) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.floor(q * s.length))].toFixed(2); };
  for (const [n, a] of [['total', total], ['enqueue', enq]]) console.log(n, 'p50', p(a, .5), 'p95', p(a, .95), 'p99', p(a, .99), 'max', p(a, 1));
  for (const [k, a] of qt) console.log(k.padEnd(72), 'n', a.length, 'p50', p(a, .5), 'p95', p(a, .95), 'max', p(a, 1));
  console.log(rows.sort((a, b) => b.total - a.total).slice(0, 8));
  await app.close(); if (worker) { worker.kill('SIGTERM'); }
  process.exit(0);
})();
