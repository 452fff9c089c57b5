import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { RequestBilling } from '../../src/synthesis/request-billing';
import { SynthesisRouter } from '../../src/synthesis/routing/synthesis.router';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { toneWav } from '../fakes/scriptable-upstream';
import { eventually } from '../support/eventually';
import { startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';

const INPUT = 'Habari ya leo, rafiki.'; // 22 credits

/**
 * A key whose last reservation left enough credits starts its synthesis while its next reservation is
 * made (RequestBilling.mayStartBeforeReserved). A row lock on the tenant holds the reservation back, so
 * what happens meanwhile is seen without timing guesses.
 */
describe('a synthesis started while its reservation is made', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let dataSource: DataSource;
  let locker: Client;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
    dataSource = api.app.get(DataSource);
    locker = new Client({ connectionString: process.env.DATABASE_URL });
    await locker.connect();
  });
  afterEach(() => {
    upstream.reset();
    upstream.defaultResponse = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
  });
  afterAll(async () => {
    await locker.end();
    await api.close();
    await upstream.close();
  });

  const speech = (apiKey: string) =>
    fetch(`${api.baseUrl}/v1/audio/speech`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'fake/fake-model', voice: 'nova', input: INPUT, response_format: 'wav' }),
    });
  /** Holds the tenant's row (a reservation's UPDATE waits for it) until the returned function is called. */
  const holdTenant = async (tenantId: string) => {
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM tenants WHERE id = $1 FOR UPDATE', [tenantId]);
    return () => locker.query('COMMIT');
  };
  const ledger = async (tenantId: string) =>
    (await dataSource.query(`SELECT kind FROM credit_ledger WHERE tenant_id = $1 AND kind <> 'topup' ORDER BY id`, [tenantId])).map(
      (row: { kind: string }) => row.kind,
    );
  const books = async (tenantId: string) => {
    const [row] = await dataSource.query(
      `SELECT t.credit_balance::int AS balance, (SELECT sum(amount)::int FROM credit_ledger WHERE tenant_id = t.id) AS sum
         FROM tenants t WHERE t.id = $1`,
      [tenantId],
    );
    return row as { balance: number; sum: number };
  };
  const waitFor = async (condition: () => boolean) => {
    for (let i = 0; i < 250 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    return condition();
  };

  it('a key not yet seen reserves first: no upstream call until its reservation is made', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    const release = await holdTenant(tenantId);
    const answer = speech(apiKey);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      expect(upstream.calls).toBe(0);
    } finally {
      await release();
    }
    expect((await answer).status).toBe(200);
    expect(upstream.calls).toBe(1);
  });

  it('a key whose last reservation left enough calls the upstream meanwhile; the audio waits for the reservation, the books are the same', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    expect((await speech(apiKey)).status).toBe(200);
    await eventually(async () => expect(await ledger(tenantId)).toEqual(['reserve', 'settle']));
    const release = await holdTenant(tenantId);
    let answered = false;
    const answer = speech(apiKey).then(async (response) => {
      answered = true;
      return { status: response.status, bytes: Buffer.from(await response.arrayBuffer()) };
    });
    try {
      expect(await waitFor(() => upstream.calls === 2)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(answered).toBe(false); // nothing reaches the client before the reservation is made
    } finally {
      await release();
    }
    const { status, bytes } = await answer;
    expect(status).toBe(200);
    expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
    await eventually(async () => expect(await ledger(tenantId)).toEqual(['reserve', 'settle', 'reserve', 'settle']));
    expect(await books(tenantId)).toEqual({ balance: 1000 - 44, sum: 1000 - 44 });
  });

  it('the overlapped upstream call starts once the reservation statement is on its way to PostgreSQL, not before', async () => {
    const { apiKey } = await api.createTenant(1000);
    expect((await speech(apiKey)).status).toBe(200);
    const order: string[] = [];
    const billing = api.app.get(RequestBilling);
    const router = api.app.get(SynthesisRouter);
    const reserve = billing.reserve.bind(billing);
    const open = router.open.bind(router);
    const reserveSpy = jest.spyOn(billing, 'reserve').mockImplementation((tenant, amount, attribution, onSent) =>
      reserve(tenant, amount, attribution, () => {
        order.push('statement sent');
        onSent?.();
      }),
    );
    const earlySpy = jest.spyOn(billing, 'mayStartBeforeReserved');
    const openSpy = jest.spyOn(router, 'open').mockImplementation((...args: Parameters<SynthesisRouter['open']>) => {
      order.push('upstream call');
      return open(...args);
    });
    let early: unknown[] = [];
    try {
      expect((await speech(apiKey)).status).toBe(200);
      early = earlySpy.mock.results.map((result) => result.value);
    } finally {
      reserveSpy.mockRestore();
      openSpy.mockRestore();
      earlySpy.mockRestore();
    }
    expect(early).toEqual([true]); // the overlapped path
    expect(order).toEqual(['statement sent', 'upstream call']);
  });

  it('a reservation refused after the upstream call started: 402, the call closed, nothing charged; the key then reserves first', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    expect((await speech(apiKey)).status).toBe(200);
    await eventually(async () => expect(await ledger(tenantId)).toEqual(['reserve', 'settle']));
    // Another process spends all but 5 credits: this one still believes the key has 978.
    await api.app.get(CreditsService).reserveForRequest(tenantId, 1000 - 22 - 5, 'sync_spent-elsewhere');
    upstream.defaultResponse = { hang: true };
    const release = await holdTenant(tenantId);
    const answer = speech(apiKey);
    try {
      expect(await waitFor(() => upstream.calls === 2)).toBe(true);
    } finally {
      await release();
    }
    const refused = await answer;
    expect(refused.status).toBe(402);
    expect(((await refused.json()) as { error: { type: string } }).error.type).toBe('insufficient_quota');
    expect(await waitFor(() => upstream.requests[1].abandoned)).toBe(true);
    expect(await ledger(tenantId)).toEqual(['reserve', 'settle', 'reserve']);
    expect(await books(tenantId)).toEqual({ balance: 5, sum: 5 });
    // Refused once, the key reserves first again: the next request never reaches the upstream.
    const again = await speech(apiKey);
    expect(again.status).toBe(402);
    expect(upstream.calls).toBe(2);
  });
});
