import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { CreditHolds } from '../../src/billing/credit-holds';
import { CreditsService } from '../../src/billing/credits.service';
import { toTtsError } from '../../src/common/errors/to-tts-error';
import { AppConfig } from '../../src/config/app-config';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { RootLogger } from '../../src/logging/root-logger';
import { startTcpProxy, TcpProxy } from '../support/tcp-proxy';
import { startTestApi, TestApi } from '../support/test-api';

const HOLD_TTL_SECONDS = 2;

async function until(probe: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * A process's CreditsService reaching PostgreSQL through a proxy the test can cut, so settles and
 * releases fail exactly as in a database outage while the shared server keeps running.
 */
describe('credit holds: every request reservation has an owner and a deadline', () => {
  let api: TestApi;
  let proxy: TcpProxy;
  let outside: DataSource;
  let holds: CreditHolds;
  let sut: CreditsService;
  let ledger: DataSource;

  beforeAll(async () => {
    api = await startTestApi();
    ledger = api.app.get(DataSource);
    const url = new URL(api.config.database.url);
    proxy = await startTcpProxy(Number(url.port || 5432), url.hostname);
    url.port = String(proxy.port);
    outside = await new DataSource(
      dataSourceOptions(url.toString(), { extra: { max: 4, connectionTimeoutMillis: 1000, application_name: 'credit-holds-test' } }),
    ).initialize();
    const config = AppConfig.load({ ...process.env, CREDIT_HOLD_TTL_SECONDS: String(HOLD_TTL_SECONDS) });
    holds = new CreditHolds(outside, api.app.get(RootLogger), config);
    holds.onModuleInit();
    sut = new CreditsService(outside, holds);
  });
  afterAll(async () => {
    await proxy.restore();
    await holds.onApplicationShutdown();
    await outside.destroy();
    await proxy.close();
    await api.close();
  });

  const holdOf = async (reference: string) =>
    (
      await ledger.query(`SELECT owner, EXTRACT(EPOCH FROM deadline - now()) AS left FROM credit_holds WHERE reference = $1`, [reference])
    )[0];
  const kinds = async (reference: string) =>
    (await ledger.query(`SELECT kind FROM credit_ledger WHERE reference = $1 ORDER BY id`, [reference])).map(
      (r: { kind: string }) => r.kind,
    );
  const summary = (tenantId: string) => api.app.get(CreditsService).summary(tenantId);

  it('a reservation is held by this process until its deadline, and the hold ends with the settle', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = `sync_${randomUUID()}`;
    await sut.reserveForRequest(tenantId, 30, reference);
    const hold = await holdOf(reference);
    expect(hold.owner).toBe(holds.owner);
    expect(Number(hold.left)).toBeGreaterThan(0);
    expect(Number(hold.left)).toBeLessThanOrEqual(HOLD_TTL_SECONDS);
    expect(await sut.settleRequest(reference, 30)).toBe(true);
    expect(await holdOf(reference)).toBeUndefined();
    expect(await summary(tenantId)).toMatchObject({ balance: 70, reserved: 0 });
  });

  it('while the request lives its hold is renewed, so the sweeper leaves it alone', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = `sync_${randomUUID()}`;
    await sut.reserveForRequest(tenantId, 10, reference);
    await new Promise((resolve) => setTimeout(resolve, (HOLD_TTL_SECONDS + 1) * 1000));
    expect(await holds.releaseAbandoned()).toBe(0);
    expect(await kinds(reference)).toEqual(['reserve']);
    await sut.release(reference);
    expect(await summary(tenantId)).toMatchObject({ balance: 100, reserved: 0 });
  });

  it("a dead process's reservation is released by the sweeper after its deadline: the customer is favoured", async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = `sync_${randomUUID()}`;
    await ledger.query(`SELECT reserve_credits($1::uuid, 40, $2), hold_credits($2, $1::uuid, 'gone-host:1234:dead', 1)`, [
      tenantId,
      reference,
    ]);
    expect(await summary(tenantId)).toMatchObject({ balance: 60, reserved: 40 });
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect(await holds.releaseAbandoned()).toBeGreaterThanOrEqual(1);
    expect(await kinds(reference)).toEqual(['reserve', 'release']);
    expect(await holdOf(reference)).toBeUndefined();
    expect(await summary(tenantId)).toMatchObject({ balance: 100, reserved: 0, ledgerSum: 100 });
  });

  it('settle and release both fail (PostgreSQL unreachable): 503-class error, then the release lands once the database is back', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = `sync_${randomUUID()}`;
    await sut.reserveForRequest(tenantId, 25, reference);
    await proxy.cut();
    try {
      const settle = await sut.settleRequest(reference, 25).catch((error: unknown) => error);
      expect(toTtsError(settle)).toMatchObject({ code: 'service_unavailable', retryAfterSeconds: expect.any(Number) });
      const release = await sut.release(reference).catch((error: unknown) => error);
      expect(toTtsError(release)).toMatchObject({ code: 'service_unavailable' });
      expect(holds.unfinished()).toContain(reference);
      expect(await kinds(reference)).toEqual(['reserve']);
    } finally {
      await proxy.restore();
    }
    await until(async () => (await kinds(reference)).length === 2);
    expect(await kinds(reference)).toEqual(['reserve', 'release']);
    // The retry's own answer can arrive a moment after this poll already sees its row.
    await until(async () => !holds.unfinished().includes(reference));
    expect(await summary(tenantId)).toMatchObject({ balance: 100, reserved: 0, ledgerSum: 100 });
  });

  it('a reservation whose hold is gone for good (a bug, or the database down past the deadline) is still released by the sweeper', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = `sync_${randomUUID()}`;
    await sut.reserveForRequest(tenantId, 15, reference);
    // The owner stops renewing (as a process that died would) and the deadline passes.
    holds.ended(reference);
    await ledger.query(`UPDATE credit_holds SET deadline = now() - interval '1 second' WHERE reference = $1`, [reference]);
    expect(await holds.releaseAbandoned()).toBeGreaterThanOrEqual(1);
    expect(await sut.settleRequest(reference, 15)).toBe(false); // too late: the release won, nothing is charged
    expect(await summary(tenantId)).toMatchObject({ balance: 100, reserved: 0 });
  });
});
