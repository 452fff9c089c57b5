import { useWebhookFixture } from '../support/webhook-fixture';

/** account.low_balance (docs/usage.md): written with the crossing by the balance trigger, sent by the worker's relay, signed. */
describe('low-balance webhook event', () => {
  const f = useWebhookFixture();

  it('is delivered once per crossing to endpoints that subscribe to it', async () => {
    // The receiver verifies with the last endpoint's secret: the subscribing one is made last.
    const jobsOnly = await f.tenantWithWebhook(['job.succeeded']);
    const { apiKey, tenantId, webhookId } = await f.tenantWithWebhook(['account.low_balance']);
    await f.startWorker();
    // 100,000 credits: a threshold above is a crossing at once; setting it again records nothing new.
    for (const key of [apiKey, apiKey, jobsOnly.apiKey])
      expect((await f.http().patch('/v1/account').set('xi-api-key', key).send({ low_balance_threshold: 150_000 })).status).toBe(200);

    await f.receiver.waitFor((received) => received.length >= 1);
    const [delivery] = f.receiver.received;
    expect(delivery.verifiedWith).toEqual([0]);
    expect(delivery.payload).toEqual({
      type: 'account.low_balance',
      timestamp: expect.any(String),
      data: {
        tenant_id: tenantId,
        threshold: 150_000,
        balance: 100_000,
        crossed_at: delivery.payload.timestamp,
        usage_url: expect.stringMatching(/\/v1\/usage$/),
      },
    });
    const log = await f.deliveryLog(apiKey, webhookId);
    expect(log).toEqual([
      expect.objectContaining({
        event_type: 'account.low_balance',
        status: 'delivered',
        job_id: expect.stringMatching(/^low_balance_\d+$/),
      }),
    ]);
    // Give the relay a few more rounds: nothing else arrives (the second tenant's endpoint does not subscribe).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(f.receiver.received).toHaveLength(1);
  });
});
