import { AppConfig } from '../../../src/config/app-config';
import { EnvironmentError } from '../../../src/config/environment';
import { parseDurations } from '../../../src/config/webhook-settings';

describe('webhook settings', () => {
  it('the default schedule is the issue’s: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h (8 attempts, ~31.6 h)', () => {
    const sut = AppConfig.load({ ...process.env, WEBHOOK_RETRY_SCHEDULE: '' }).webhooks;
    expect(sut.retryDelaysMs).toEqual([5_000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000]);
    expect(sut.timeoutMs).toBe(10_000);
    expect(sut.disableAfterMs).toBe(3 * 24 * 3600 * 1000);
    expect(sut.allowHttp).toBe(false);
    expect(sut.allowedNetworks).toEqual([]);
  });

  it('reads durations and networks, and refuses bad ones at start-up', () => {
    expect(parseDurations('200ms, 1s,2m ,1h')).toEqual([200, 1000, 120_000, 3_600_000]);
    const config = AppConfig.load({ ...process.env, WEBHOOK_ALLOW_HTTP: 'true', WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/32,::1/128' });
    expect(config.webhooks.allowHttp).toBe(true);
    expect(config.webhooks.allowedNetworks).toEqual([
      { address: '127.0.0.1', prefix: 32, family: 'ipv4' },
      { address: '::1', prefix: 128, family: 'ipv6' },
    ]);
    expect(() => AppConfig.load({ ...process.env, WEBHOOK_RETRY_SCHEDULE: '5s,soon' })).toThrow(EnvironmentError);
    expect(() => AppConfig.load({ ...process.env, WEBHOOK_ALLOWED_NETWORKS: '127.0.0.1/40' })).toThrow(/WEBHOOK_ALLOWED_NETWORKS/);
    expect(() => AppConfig.load({ ...process.env, WEBHOOK_ALLOWED_NETWORKS: 'localhost/8' })).toThrow(/WEBHOOK_ALLOWED_NETWORKS/);
  });
});
