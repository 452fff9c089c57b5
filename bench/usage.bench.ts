import http from 'node:http';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { createApiApp } from '../src/api-app';
import { CreditsService } from '../src/billing/credits.service';
import { AppConfig } from '../src/config/app-config';
import { ApiKeysService } from '../src/tenants/api-keys.service';
import { TenantsService } from '../src/tenants/tenants.service';
import { parseUsageQuery } from '../src/usage/usage-query';
import { UsageRepository } from '../src/usage/usage.repository';
import { prepareBenchEnvironment } from './bench-environment';
import { percentile, round, Suite } from './suite';

/** Requests of the busy tenant in the month: each has a reservation and a settle or release, so twice as many ledger rows. */
const REQUESTS = Number(process.env.BENCH_USAGE_REQUESTS ?? 1_000_000);
const KEYS = 10;
const RUNS = Number(process.env.BENCH_USAGE_RUNS ?? 30);
const RESERVES = Number(process.env.BENCH_USAGE_RESERVES ?? 2000);
const MONTH = { from: '2026-03-01T00:00:00Z', to: '2026-04-01T00:00:00Z' };

/**
 * One busy tenant's March: REQUESTS requests spread evenly over the month, over 10 keys, 4 faces,
 * 6 voices on 3 providers, 3 % failed and 1 % cancelled (released), 5 % refunded in part, 2 % cache hits;
 * their ledger rows and usage events, and the hourly rollups as finish_reservation() would have left them.
 */
async function seed(dataSource: DataSource, tenantId: string, keyIds: string[]): Promise<void> {
  await dataSource.query(
    `INSERT INTO usage_events (reference, tenant_id, api_key_id, face, voice, provider, characters, audio_seconds, reserved, refunded,
                               status, cache_hit, created_at, finished_at)
     SELECT 'sync_bench_' || i, $1::uuid, ($2::uuid[])[1 + i % ${KEYS}],
            (ARRAY['sauti', 'fish', 'bifrost', 'openai'])[1 + (i % ${KEYS}) % 4],
            'voice-' || (i % 6), (ARRAY['vits', 'espeak', 'openai'])[1 + (i % 6) % 3],
            100 + i % 400, (100 + i % 400) / 15.0, 100 + i % 400,
            CASE WHEN i % 100 < 4 THEN 100 + i % 400 WHEN i % 100 < 9 THEN (100 + i % 400) / 2 ELSE 0 END,
            CASE WHEN i % 100 < 3 THEN 'failed' WHEN i % 100 < 4 THEN 'cancelled' ELSE 'succeeded' END,
            i % 50 = 7,
            timestamptz '2026-03-01' + (i * (interval '31 days' / ${REQUESTS})),
            timestamptz '2026-03-01' + (i * (interval '31 days' / ${REQUESTS})) + interval '2 seconds'
       FROM generate_series(0, ${REQUESTS - 1}) i`,
    [tenantId, keyIds],
  );
  await dataSource.query(
    `INSERT INTO credit_ledger (tenant_id, kind, amount, reference, created_at)
     SELECT tenant_id, 'reserve', -reserved, reference, created_at FROM usage_events WHERE tenant_id = $1
     UNION ALL
     SELECT tenant_id, CASE WHEN status = 'succeeded' THEN 'settle' ELSE 'release' END, refunded, reference, finished_at
       FROM usage_events WHERE tenant_id = $1`,
    [tenantId],
  );
  await dataSource.query(
    `INSERT INTO usage_hourly (tenant_id, hour, api_key_id, face, voice, provider, status, requests, characters, audio_seconds, charged, refunded, cache_hits)
     SELECT tenant_id, date_trunc('hour', created_at, 'UTC'), api_key_id, face, voice, provider, status, count(*), sum(characters),
            sum(audio_seconds), sum(reserved - refunded), sum(refunded), count(*) FILTER (WHERE cache_hit)
       FROM usage_events WHERE tenant_id = $1 GROUP BY 1, 2, 3, 4, 5, 6, 7`,
    [tenantId],
  );
  await dataSource.query('VACUUM ANALYZE usage_events');
  await dataSource.query('VACUUM ANALYZE usage_hourly');
  await dataSource.query('VACUUM ANALYZE credit_ledger');
}

/** The same report read from the events alone (no rollups): what the rollups save. */
async function fromEventsOnly(dataSource: DataSource, tenantId: string, interval: string, groupBy: string[]): Promise<number> {
  const columns = groupBy.map((name) => (name === 'api_key' ? 'api_key_id' : name));
  const rows = await dataSource.query(
    `SELECT date_trunc($4, created_at AT TIME ZONE 'UTC') AS bucket${columns.map((column) => `, ${column}`).join('')}, count(*) AS requests,
            count(*) FILTER (WHERE status = 'failed') AS failures, sum(characters) AS characters, sum(audio_seconds) AS audio_seconds,
            sum(reserved - refunded) AS charged, sum(refunded) AS refunded, count(*) FILTER (WHERE cache_hit) AS cache_hits
       FROM usage_events WHERE tenant_id = $1 AND status <> 'open' AND created_at >= $2 AND created_at < $3
      GROUP BY 1${columns.map((column) => `, ${column}`).join('')}`,
    [tenantId, MONTH.from, MONTH.to, interval],
  );
  return rows.length;
}

function timedGet(agent: http.Agent, url: string, headers: Record<string, string>): Promise<{ ms: number; status: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent, headers }, (response) => {
        let bytes = 0;
        response.on('data', (chunk: Buffer) => (bytes += chunk.length));
        response.on('end', () => resolve({ ms: performance.now() - started, status: response.statusCode ?? 0, bytes }));
        response.on('error', reject);
      })
      .on('error', reject);
  });
}

async function measure(runs: number, call: () => Promise<unknown>): Promise<{ p50: number; p95: number; max: number }> {
  await call(); // warm: plan cache, buffers
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    await call();
    times.push(performance.now() - started);
  }
  return { p50: round(percentile(times, 50), 1), p95: round(percentile(times, 95), 1), max: round(Math.max(...times), 1) };
}

/**
 * The billing functions as they were before usage events and key budgets (migration CreditFunctions),
 * under other names in the bench's own database, so the path before this feature is measured beside it.
 */
async function createFunctionsBefore(dataSource: DataSource): Promise<void> {
  await dataSource.query(`
    CREATE FUNCTION bench_reserve_before(p_tenant uuid, p_amount bigint, p_reference varchar) RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (p_tenant, 'reserve', -p_amount, p_reference)
        ON CONFLICT (reference, kind) DO NOTHING;
      IF NOT FOUND THEN RETURN; END IF;
      UPDATE tenants SET credit_balance = credit_balance - p_amount WHERE id = p_tenant AND credit_balance >= p_amount;
      IF NOT FOUND THEN RAISE EXCEPTION 'insufficient credits' USING ERRCODE = 'SC402'; END IF;
    END $$`);
  await dataSource.query(`
    CREATE FUNCTION bench_finish_before(p_reference varchar, p_kind varchar, p_charged bigint) RETURNS boolean LANGUAGE plpgsql AS $$
    DECLARE v_tenant uuid; v_reserved bigint; v_refund bigint;
    BEGIN
      SELECT tenant_id, -amount INTO v_tenant, v_reserved FROM credit_ledger WHERE reference = p_reference AND kind = 'reserve';
      IF NOT FOUND THEN RETURN false; END IF;
      v_refund := CASE WHEN p_kind = 'release' THEN v_reserved ELSE v_reserved - LEAST(v_reserved, GREATEST(0, COALESCE(p_charged, v_reserved))) END;
      INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES (v_tenant, p_kind, v_refund, p_reference) ON CONFLICT DO NOTHING;
      IF NOT FOUND THEN RETURN false; END IF;
      IF v_refund > 0 THEN UPDATE tenants SET credit_balance = credit_balance + v_refund WHERE id = v_tenant; END IF;
      RETURN true;
    END $$`);
}

type Variant = { name: string; reserve: (reference: string) => Promise<unknown>; settle: (reference: string) => Promise<unknown> };

/**
 * Reserve and settle of one request, sequentially, side by side (rounds interleave the variants, so
 * drift in the machine's load hits all alike): the statements before this feature (ledger and balance
 * only), and now with no key, a key without a budget (its spend counted) and a key with a budget
 * (checked and counted). Each statement as the request path sends it (asynchronous commit, a hold).
 */
async function reservePath(dataSource: DataSource, credits: CreditsService, tenantId: string, unbudgeted: string, budgeted: string) {
  const owner = 'bench:before';
  const now = (apiKeyId?: string): Variant => ({
    name: apiKeyId === undefined ? 'now, no key' : apiKeyId === budgeted ? 'now, key with a budget' : 'now, key without a budget',
    reserve: (reference) =>
      credits.reserveForRequest(tenantId, 50, reference, { apiKeyId, face: 'openai', voice: 'bench', characters: 50 }),
    settle: (reference) => credits.settleRequest(reference, 50, { provider: 'bench', audioSeconds: 3 }),
  });
  const variants: Variant[] = [
    {
      name: 'before (ledger and balance only)',
      reserve: (reference) =>
        dataSource.query(
          `SELECT set_config('synchronous_commit', 'off', true), bench_reserve_before($1::uuid, $2::bigint, $3::varchar),
                  hold_credits($3::varchar, $1::uuid, $4::varchar, 60)`,
          [tenantId, 50, reference, owner],
        ),
      settle: (reference) =>
        dataSource.query(`SELECT set_config('synchronous_commit', 'off', true), bench_finish_before($1::varchar, 'settle', 50)`, [
          reference,
        ]),
    },
    now(),
    now(unbudgeted),
    now(budgeted),
  ];
  const reserve: number[][] = variants.map(() => []);
  const billed: number[][] = variants.map(() => []);
  for (let round = 0; round < RESERVES + 100; round++) {
    for (const [index, variant] of variants.entries()) {
      const reference = `sync_${randomUUID()}`;
      const started = performance.now();
      await variant.reserve(reference);
      const reserved = performance.now();
      await variant.settle(reference);
      if (round < 100) continue; // warm-up
      reserve[index].push(reserved - started);
      billed[index].push(performance.now() - started);
    }
  }
  return variants.map((variant, index) => ({
    variant: variant.name,
    'reserve p50 ms': round(percentile(reserve[index], 50), 3),
    'reserve p95 ms': round(percentile(reserve[index], 95), 3),
    'reserve+settle p50 ms': round(percentile(billed[index], 50), 3),
    'reserve+settle p95 ms': round(percentile(billed[index], 95), 3),
  }));
}

export const usageSuite: Suite = {
  name: 'usage',
  description: `usage report over one tenant's month (${REQUESTS} requests, ${REQUESTS * 2} ledger rows) and the reserve path with budgets`,
  async run() {
    const env = await prepareBenchEnvironment('sauti_bench_usage');
    const config = AppConfig.load({ ...process.env, ...env, LOG_LEVEL: 'silent' });
    const app = await createApiApp(config);
    await app.listen(0, '127.0.0.1');
    const baseUrl = `http://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const dataSource = app.get(DataSource);
      const { tenant, apiKey } = await app.get(TenantsService).create('busy tenant', 0);
      const keys = app.get(ApiKeysService);
      const keyIds = [apiKey.key.id];
      for (let index = 1; index < KEYS; index++) keyIds.push((await keys.create(tenant.id, `key-${index}`)).key.id);
      const seeding = performance.now();
      await seed(dataSource, tenant.id, keyIds);
      const seedSeconds = round((performance.now() - seeding) / 1000, 1);
      const [counts] = await dataSource.query(
        `SELECT (SELECT count(*) FROM credit_ledger WHERE tenant_id = $1)::int AS ledger, (SELECT count(*) FROM usage_events WHERE tenant_id = $1)::int AS events,
                (SELECT count(*) FROM usage_hourly WHERE tenant_id = $1)::int AS rollups`,
        [tenant.id],
      );

      const repository = app.get(UsageRepository);
      const headers = { 'xi-api-key': apiKey.plaintext };
      const cases: Array<{ name: string; query: Record<string, string>; csv?: boolean }> = [
        { name: 'month by day', query: { ...MONTH, interval: 'day' } },
        { name: 'month by day, per key', query: { ...MONTH, interval: 'day', group_by: 'api_key' } },
        { name: 'month by hour, per voice and provider', query: { ...MONTH, interval: 'hour', group_by: 'voice,provider' } },
        { name: 'month, every dimension', query: { ...MONTH, interval: 'month', group_by: 'api_key,voice,provider,face,status' } },
        {
          name: 'month from +05:30 (partial hours from events)',
          query: { from: '2026-03-01T00:00:00+05:30', to: '2026-04-01T00:00:00+05:30', interval: 'day', group_by: 'api_key' },
        },
        { name: 'month by day, per key, CSV', query: { ...MONTH, interval: 'day', group_by: 'api_key', format: 'csv' } },
      ];
      const rows: Array<Record<string, unknown>> = [];
      for (const item of cases) {
        const { format, ...query } = item.query;
        const parsed = parseUsageQuery(query);
        const sql = await measure(RUNS, () => repository.report(tenant.id, parsed));
        const url = `${baseUrl}/v1/usage?${new URLSearchParams(item.query).toString()}`;
        const first = await timedGet(agent, url, headers);
        if (first.status !== 200) throw new Error(`GET /v1/usage answered ${first.status}`);
        const httpTimes = await measure(RUNS, () => timedGet(agent, url, headers));
        const eventsOnly = format
          ? undefined
          : await measure(Math.max(3, Math.floor(RUNS / 5)), () => fromEventsOnly(dataSource, tenant.id, parsed.interval, parsed.groupBy));
        rows.push({
          query: item.name,
          'rows out': (await repository.report(tenant.id, parsed)).length,
          'query p50 ms': sql.p50,
          'query p95 ms': sql.p95,
          'HTTP p50 ms': httpTimes.p50,
          'HTTP p95 ms': httpTimes.p95,
          'events only p50 ms': eventsOnly?.p50 ?? '-',
        });
      }

      // The account views read the balance and the open reservations, not the history.
      const account = await measure(RUNS, () => timedGet(agent, `${baseUrl}/v1/account`, headers));
      const profile = await measure(RUNS, () =>
        timedGet(agent, `${baseUrl}/api/open/v1/profile`, { authorization: `Bearer ${apiKey.plaintext}` }),
      );

      await dataSource.query(`UPDATE tenants SET credit_balance = 1000000000 WHERE id = $1`, [tenant.id]);
      const unbudgeted = (await keys.create(tenant.id, 'bench unbudgeted')).key.id;
      const budgeted = (await keys.create(tenant.id, 'bench budgeted', { creditLimit: 1_000_000_000, period: 'day' })).key.id;
      await createFunctionsBefore(dataSource);
      const reserveRows = await reservePath(dataSource, app.get(CreditsService), tenant.id, unbudgeted, budgeted);
      const p50 = (index: number, column: 'reserve p50 ms' | 'reserve+settle p50 ms') => reserveRows[index][column];
      return {
        seeded: { ...counts, seconds: seedSeconds },
        runs: RUNS,
        rows,
        'GET /v1/account p50/p95 ms': `${account.p50} / ${account.p95}`,
        'Fish profile p50/p95 ms': `${profile.p50} / ${profile.p95}`,
        reservePath: reserveRows,
        'budget on vs before, reserve p50 added ms': round(p50(3, 'reserve p50 ms') - p50(0, 'reserve p50 ms'), 3),
        'budget on vs before, reserve+settle p50 added ms': round(p50(3, 'reserve+settle p50 ms') - p50(0, 'reserve+settle p50 ms'), 3),
        'budget on vs budget off, reserve p50 added ms': round(p50(3, 'reserve p50 ms') - p50(2, 'reserve p50 ms'), 3),
      };
    } finally {
      agent.destroy();
      await app.close();
    }
  },
};
