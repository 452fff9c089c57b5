import { DataSource } from 'typeorm';
import { ScriptableUpstream, toneWav } from '../fakes/scriptable-upstream';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { ServiceProcess, spawnApi, spawnService } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';

type Api = ServiceProcess & { baseUrl: string };
const TONE = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };

async function until(probe: () => Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** The job ids a worker's log says it finished ("job succeeded"). */
function succeededBy(worker: ServiceProcess): string[] {
  return [...worker.output().matchAll(/"jobId":"(job_[a-z0-9]+)"[^\n]*"msg":"job succeeded"/g)].map((match) => match[1]);
}

/**
 * The deployment story: more api and worker processes against one PostgreSQL and one Redis. Two
 * apis and two workers run as real processes; an in-process app only creates tenants and reads the books.
 */
describe('scale-out: two api and two worker processes on one PostgreSQL and Redis', () => {
  let admin: TestApi;
  let upstream: ScriptableUpstream;
  let env: Record<string, string>;
  let apis: Api[] = [];
  let workers: ServiceProcess[] = [];
  let dataSource: DataSource;

  beforeAll(async () => {
    ({ upstream, env } = await startJobFixture());
    upstream.defaultResponse = { ...TONE, delayMs: 200 };
    env = { ...env, LOG_LEVEL: 'info', WORKER_REPORT_INTERVAL_MS: '500' };
    admin = await startTestApi(env);
    dataSource = admin.app.get(DataSource);
    apis = await Promise.all([spawnApi(env), spawnApi(env)]);
    workers = [spawnService('worker', env), spawnService('worker', env)];
    await Promise.all(workers.map((worker) => worker.waitForOutput(/worker started/)));
  });
  afterAll(async () => {
    await Promise.all([...apis, ...workers].map((process) => process.stop('SIGTERM')));
    await admin.close();
    await upstream.close();
  });

  const create = (api: Api, apiKey: string, text: string, idempotencyKey?: string) =>
    fetch(`${api.baseUrl}/v1/tts/jobs`, {
      method: 'POST',
      headers: {
        'xi-api-key': apiKey,
        'content-type': 'application/json',
        ...(idempotencyKey ? { 'idempotency-key': idempotencyKey } : {}),
      },
      body: JSON.stringify({ text, voice_id: FAKE_VOICE }),
    }).then(async (response) => ({ status: response.status, body: (await response.json()) as { job_id: string } }));
  const statuses = async (ids: string[]) =>
    (await dataSource.query(`SELECT id, status, attempts FROM synthesis_jobs WHERE id = ANY($1)`, [ids])) as Array<{
      id: string;
      status: string;
      attempts: number;
    }>;
  const ledgerOf = async (ids: string[]) =>
    (await dataSource.query(
      `SELECT reference, array_agg(kind ORDER BY id) AS kinds FROM credit_ledger WHERE reference = ANY($1) GROUP BY reference`,
      [ids],
    )) as Array<{ reference: string; kinds: string[] }>;
  const results = async (ids: string[]) =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM job_results WHERE job_id = ANY($1)`, [ids]))[0].n as number;

  it('jobs created through both apis spread over both workers, each done once and charged once', async () => {
    const { tenantId, apiKey } = await admin.createTenant(1_000_000);
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => create(apis[i % 2], apiKey, `Kazi namba ${i}.`)));
    for (const response of created) expect(response.status).toBe(202);
    const ids = created.map((response) => response.body.job_id);
    await until(async () => (await statuses(ids)).every((job) => job.status === 'succeeded'));
    const byWorker = workers.map((worker) => succeededBy(worker).filter((id) => ids.includes(id)));
    expect(byWorker[0].length).toBeGreaterThan(0);
    expect(byWorker[1].length).toBeGreaterThan(0);
    expect([...byWorker[0], ...byWorker[1]].sort()).toEqual([...ids].sort());
    for (const { kinds } of await ledgerOf(ids)) expect(kinds).toEqual(['reserve', 'settle']);
    expect(await results(ids)).toBe(20);
    const charged = (await dataSource.query(`SELECT sum(credits)::int AS n FROM synthesis_jobs WHERE id = ANY($1)`, [ids]))[0].n;
    const account = await fetch(`${apis[1].baseUrl}/v1/account`, { headers: { 'xi-api-key': apiKey } }).then((r) => r.json());
    expect(account).toMatchObject({ tenant: { id: tenantId }, credits: { balance: 1_000_000 - charged, reserved: 0 } });
  });

  it('a per-key rate limit holds across both apis: 6 job creates per minute means 6, wherever they arrive', async () => {
    const { tenantId, apiKey } = await admin.createTenant(1_000_000);
    await dataSource.query(`UPDATE tenants SET rate_limit_job_creates_per_minute = 6 WHERE id = $1`, [tenantId]);
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => create(apis[i % 2], apiKey, `Kikomo ${i}.`)));
    expect(created.filter((response) => response.status === 202)).toHaveLength(6);
    expect(created.filter((response) => response.status === 429)).toHaveLength(6);
  });

  it('an Idempotency-Key holds across both apis, and its replays, parallel or not, cost no job creation on either', async () => {
    const { tenantId, apiKey } = await admin.createTenant(1_000_000);
    await dataSource.query(`UPDATE tenants SET rate_limit_job_creates_per_minute = 3 WHERE id = $1`, [tenantId]);
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => create(apis[i % 2], apiKey, 'Ombi moja.', 'across-apis-1')));
    for (const response of created) expect(response.status).toBe(202);
    expect(new Set(created.map((response) => response.body.job_id)).size).toBe(1);
    const reserves = await dataSource.query(`SELECT count(*)::int AS n FROM credit_ledger WHERE tenant_id = $1 AND kind = 'reserve'`, [
      tenantId,
    ]);
    expect(reserves[0].n).toBe(1);
    for (let i = 0; i < 10; i++) expect((await create(apis[i % 2], apiKey, 'Ombi moja.', 'across-apis-1')).status).toBe(202);
    expect((await create(apis[0], apiKey, 'Ombi la pili.')).status).toBe(202);
    expect((await create(apis[1], apiKey, 'Ombi la tatu.')).status).toBe(202);
    expect((await create(apis[0], apiKey, 'Ombi la nne.')).status).toBe(429);
  });

  it('a worker killed mid-job: the other worker finishes its jobs, each once, charged once', async () => {
    const { apiKey } = await admin.createTenant(1_000_000);
    const [victim, other] = workers;
    // The earlier tests' jobs finish first: one of their upstream calls would take a slow answer meant for this test.
    await until(async () => (await dataSource.query(`SELECT 1 FROM synthesis_jobs WHERE status IN ('queued', 'running')`)).length === 0);
    // The victim alone takes the first two jobs, whose upstream answers are slow enough to kill it under them.
    expect(await other.stop('SIGTERM')).toBe(0);
    upstream.defaultResponse = { ...TONE, delayMs: 500 };
    upstream.enqueue({ ...TONE, delayMs: 8000 }, { ...TONE, delayMs: 8000 });
    const callsBefore = upstream.calls;
    try {
      const created = await Promise.all(Array.from({ length: 6 }, (_, i) => create(apis[i % 2], apiKey, `Kazi ndefu ${i}.`)));
      const ids = created.map((response) => response.body.job_id);
      await until(
        async () => upstream.calls >= callsBefore + 2 && (await statuses(ids)).filter((job) => job.status === 'running').length === 2,
      );
      const held = (await statuses(ids)).filter((job) => job.status === 'running').map((job) => job.id);
      const survivor = spawnService('worker', env);
      workers.push(survivor);
      await survivor.waitForOutput(/worker started/);
      expect(await victim.stop('SIGKILL')).toBe('SIGKILL');
      await until(async () => (await statuses(ids)).every((job) => job.status === 'succeeded'));
      // A worker logs a job's success after recording it, and its output reaches this process later still.
      await until(async () => held.every((id) => [...succeededBy(victim), ...succeededBy(survivor)].includes(id)), 10_000);
      expect(succeededBy(victim).filter((id) => held.includes(id))).toEqual([]);
      expect(
        succeededBy(survivor)
          .filter((id) => held.includes(id))
          .sort(),
      ).toEqual([...held].sort());
      for (const job of await statuses(held)) expect(job.attempts).toBe(2);
      for (const { kinds } of await ledgerOf(ids)) expect(kinds).toEqual(['reserve', 'settle']);
      expect(await results(ids)).toBe(6);
    } finally {
      upstream.defaultResponse = { ...TONE, delayMs: 200 };
    }
  }, 120_000);
});
