import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { RootLogger } from '../../src/logging/root-logger';
import { RequestBilling } from '../../src/synthesis/request-billing';
import { eventually } from '../support/eventually';
import { startTestApi, TestApi } from '../support/test-api';

async function* chunks(count: number, failAt?: number): AsyncGenerator<Buffer> {
  for (let index = 0; index < count; index++) {
    if (index === failAt) throw new Error('the provider failed halfway');
    yield Buffer.from([index]);
  }
}

/**
 * The one billing rule of a request (docs/architecture.md, "Billing"), against the real ledger: charged
 * once audio was delivered or the stream ended whole, released when nothing was delivered, and delivered
 * audio never released (a settle PostgreSQL refuses is retried by CreditHolds: credit-holds.e2e.spec.ts).
 */
describe('RequestBilling: the one rule', () => {
  let api: TestApi;
  let credits: CreditsService;
  let calls: string[];
  let sut: RequestBilling;

  beforeAll(async () => {
    api = await startTestApi();
    credits = api.app.get(CreditsService);
    // The real service, its calls recorded.
    const recorded = Object.create(credits) as CreditsService;
    recorded.settleRequest = (reference, amount) => {
      calls.push('settle');
      return credits.settleRequest(reference, amount);
    };
    recorded.release = (reference) => {
      calls.push('release');
      return credits.release(reference);
    };
    sut = new RequestBilling(recorded, api.app.get(RootLogger));
  });
  beforeEach(() => {
    calls = [];
  });
  afterAll(() => api.close());

  async function books(tenantId: string) {
    const summary = await credits.summary(tenantId);
    return { balance: summary.balance, reserved: summary.reserved, ledgerSum: summary.ledgerSum };
  }

  async function consume(stream: AsyncIterable<Buffer>, delivered: () => void, stopAfter?: number): Promise<void> {
    let seen = 0;
    try {
      for await (const chunk of stream) {
        void chunk;
        if (++seen === 1) delivered();
        if (seen === stopAfter) break;
      }
    } catch {
      // The stream's own failure; the books are what this test looks at.
    }
  }

  it('a stream that ends whole is charged in full', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = await sut.reserve(tenantId, 30);
    const stopped = jest.fn();
    const billed = sut.billed(chunks(3), reference, 30, stopped);

    await consume(billed.chunks, billed.delivered);

    await eventually(async () => expect(await books(tenantId)).toEqual({ balance: 70, reserved: 0, ledgerSum: 70 }));
    expect(calls).toEqual(['settle']);
    expect(stopped).not.toHaveBeenCalled();
  });

  it('a provider failing after audio was delivered: charged, never released, and the synthesis is stopped', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = await sut.reserve(tenantId, 30);
    const stopped = jest.fn();
    const billed = sut.billed(chunks(5, 2), reference, 30, stopped);

    await consume(billed.chunks, billed.delivered);

    await eventually(async () => expect(await books(tenantId)).toEqual({ balance: 70, reserved: 0, ledgerSum: 70 }));
    expect(calls).toEqual(['settle']);
    expect(stopped).toHaveBeenCalledTimes(1);
  });

  it('a client that hangs up after audio was delivered is charged; one that hangs up before is not', async () => {
    const { tenantId } = await api.createTenant(100);
    const after = await sut.reserve(tenantId, 30);
    const billedAfter = sut.billed(chunks(5), after, 30, jest.fn());
    await consume(billedAfter.chunks, billedAfter.delivered, 2);
    const before = await sut.reserve(tenantId, 20);
    const billedBefore = sut.billed(chunks(5), before, 20, jest.fn());
    await consume(billedBefore.chunks, () => undefined, 1);

    await eventually(async () => expect(await books(tenantId)).toEqual({ balance: 70, reserved: 0, ledgerSum: 70 }));
    expect(calls.sort()).toEqual(['release', 'settle']);
  });

  it('a failure before anything was delivered releases it all', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = await sut.reserve(tenantId, 30);
    const billed = sut.billed(chunks(3, 0), reference, 30, jest.fn());

    await consume(billed.chunks, billed.delivered);

    await eventually(async () => expect(await books(tenantId)).toEqual({ balance: 100, reserved: 0, ledgerSum: 100 }));
    expect(calls).toEqual(['release']);
    const kinds = await api.app.get(DataSource).query(`SELECT kind FROM credit_ledger WHERE reference = $1 ORDER BY id`, [reference]);
    expect(kinds.map((row: { kind: string }) => row.kind)).toEqual(['reserve', 'release']);
  });

  it('a stream stopped before its first read is released and its synthesis stopped (a generator would never notice)', async () => {
    const { tenantId } = await api.createTenant(100);
    const reference = await sut.reserve(tenantId, 30);
    const stopped = jest.fn();
    const billed = sut.billed(chunks(3), reference, 30, stopped);

    await billed.chunks[Symbol.asyncIterator]().return?.();

    await eventually(async () => expect(await books(tenantId)).toEqual({ balance: 100, reserved: 0, ledgerSum: 100 }));
    expect(calls).toEqual(['release']);
    expect(stopped).toHaveBeenCalledTimes(1);
  });
});
