import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CreditHolds } from '../../src/billing/credit-holds';
import { CreditsService } from '../../src/billing/credits.service';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { startTestApi, TestApi } from '../support/test-api';

describe('CreditsService against Postgres', () => {
  let api: TestApi;
  let sut: CreditsService;

  beforeAll(async () => {
    api = await startTestApi();
    sut = api.app.get(CreditsService);
  });
  afterAll(() => api.close());

  async function ledgerKinds(reference: string): Promise<string[]> {
    const rows = await api.app.get(DataSource).query(`SELECT kind FROM credit_ledger WHERE reference = $1 ORDER BY id`, [reference]);
    return rows.map((row: { kind: string }) => row.kind);
  }

  it('bank check: 200 concurrent reserves of 1 against 50 → exactly 50 succeed and the books balance', async () => {
    const { tenantId } = await api.createTenant(50);
    const outcomes = await Promise.allSettled(Array.from({ length: 200 }, () => sut.reserveForRequest(tenantId, 1, `req_${randomUUID()}`)));
    const succeeded = outcomes.filter((o) => o.status === 'fulfilled').length;
    const rejected = outcomes.filter((o) => o.status === 'rejected');
    expect(succeeded).toBe(50);
    expect(rejected).toHaveLength(150);
    for (const failure of rejected) expect((failure as PromiseRejectedResult).reason).toMatchObject({ code: 'insufficient_credits' });
    const summary = await sut.summary(tenantId);
    expect(summary).toMatchObject({ balance: 0, ledgerSum: 0, reserved: 50 });
  });

  it('settle and release are idempotent and mutually exclusive', async () => {
    const { tenantId } = await api.createTenant(100);
    const settled = `req_${randomUUID()}`;
    await sut.reserveForRequest(tenantId, 30, settled);
    await sut.reserveForRequest(tenantId, 30, settled); // a retried reserve holds once
    expect((await sut.summary(tenantId)).balance).toBe(70);
    expect(await sut.settle(settled)).toBe(true);
    expect(await sut.settle(settled)).toBe(false);
    expect(await sut.release(settled)).toBe(false);
    expect(await ledgerKinds(settled)).toEqual(['reserve', 'settle']);

    const released = `req_${randomUUID()}`;
    await sut.reserveForRequest(tenantId, 20, released);
    const racing = await Promise.all([sut.release(released), sut.release(released), sut.settle(released)]);
    expect(racing.filter(Boolean)).toHaveLength(1);
    const summary = await sut.summary(tenantId);
    expect(summary.balance).toBe(summary.ledgerSum);
    expect(summary.reserved).toBe(0);
  });

  it('settling for less than reserved refunds the difference', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = `req_${randomUUID()}`;
    await sut.reserveForRequest(tenantId, 40, reference);
    await sut.settle(reference, 25);
    expect(await sut.summary(tenantId)).toMatchObject({ balance: 75, ledgerSum: 75, reserved: 0 });
  });

  it('keeps the CHECK: the balance can never go negative', async () => {
    const { tenantId } = await api.createTenant(5);
    await expect(sut.reserveForRequest(tenantId, 6, `req_${randomUUID()}`)).rejects.toMatchObject({ code: 'insufficient_credits' });
    await expect(api.app.get(DataSource).query(`UPDATE tenants SET credit_balance = -1 WHERE id = $1`, [tenantId])).rejects.toThrow(
      /tenants_credit_balance_non_negative/,
    );
    expect(await sut.summary(tenantId)).toMatchObject({ balance: 5, ledgerSum: 5 });
  });

  it("a request's reservation and settle commit without the WAL flush, on their own statement only", async () => {
    const { tenantId } = await api.createTenant(100);
    // One connection, so the statement after each call runs on the connection that call used.
    const single = await new DataSource(dataSourceOptions(api.config.database.url, { extra: { max: 1 } })).initialize();
    try {
      const credits = new CreditsService(single, api.app.get(CreditHolds));
      const setting = async () => (await single.query(`SELECT current_setting('synchronous_commit') AS value`))[0].value;
      const reference = `sync_${randomUUID()}`;
      await credits.reserveForRequest(tenantId, 30, reference);
      expect(await setting()).toBe('on');
      await expect(credits.reserveForRequest(tenantId, 71, `sync_${randomUUID()}`)).rejects.toMatchObject({ code: 'insufficient_credits' });
      expect(await credits.settleRequest(reference, 30)).toBe(true);
      expect(await setting()).toBe('on');
      expect(await credits.settleRequest(reference, 30)).toBe(false);
      expect(await ledgerKinds(reference)).toEqual(['reserve', 'settle']);
      expect(await sut.summary(tenantId)).toMatchObject({ balance: 70, ledgerSum: 70, reserved: 0 });
    } finally {
      await single.destroy();
    }
  });

  it("a request's billing statements are prepared once per connection, and a refusal keeps the connection", async () => {
    const { tenantId } = await api.createTenant(100);
    const single = await new DataSource(dataSourceOptions(api.config.database.url, { extra: { max: 1 } })).initialize();
    try {
      const credits = new CreditsService(single, api.app.get(CreditHolds));
      const backend = async () => (await single.query(`SELECT pg_backend_pid() AS pid`))[0].pid as number;
      const prepared = async () =>
        ((await single.query(`SELECT name FROM pg_prepared_statements ORDER BY name`)) as Array<{ name: string }>).map((row) => row.name);
      const pid = await backend();
      const first = `sync_${randomUUID()}`;
      await credits.reserveForRequest(tenantId, 30, first);
      // A refusal is an error PostgreSQL answered: the connection (and what it has prepared) stays in the pool.
      await expect(credits.reserveForRequest(tenantId, 71, `sync_${randomUUID()}`)).rejects.toMatchObject({ code: 'insufficient_credits' });
      expect(await backend()).toBe(pid);
      const second = `sync_${randomUUID()}`;
      await credits.reserveForRequest(tenantId, 30, second);
      expect(await credits.settleRequest(first, 30)).toBe(true);
      expect(await credits.release(second)).toBe(true);
      expect(await backend()).toBe(pid);
      expect(await prepared()).toEqual(['finish_request', 'finish_reservation', 'reserve_request']);
      expect(await sut.summary(tenantId)).toMatchObject({ balance: 70, ledgerSum: 70, reserved: 0 });
    } finally {
      await single.destroy();
    }
  });
});
