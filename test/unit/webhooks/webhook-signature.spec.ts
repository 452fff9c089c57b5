import { Webhook } from 'standardwebhooks';
import { newWebhookSecret, signatureHeader } from '../../../src/webhooks/webhook-signature';

describe('Standard Webhooks signatures', () => {
  const body = JSON.stringify({ type: 'job.succeeded', timestamp: '2026-12-02T10:00:00.000Z', data: { job_id: 'job_x', characters: 12 } });

  it('secrets are whsec_ and 24 random bytes in base64', () => {
    const secret = newWebhookSecret();
    expect(secret).toMatch(/^whsec_[A-Za-z0-9+/]{32}$/);
    expect(Buffer.from(secret.slice(6), 'base64')).toHaveLength(24);
    expect(newWebhookSecret()).not.toBe(secret);
  });

  it('is what the standardwebhooks package signs, and what it verifies', () => {
    const sut = signatureHeader;
    const secret = newWebhookSecret();
    const timestamp = Math.floor(Date.now() / 1000);
    const header = sut([secret], 'msg_1', timestamp, body);
    expect(header).toBe(new Webhook(secret).sign('msg_1', new Date(timestamp * 1000), body));
    const headers = { 'webhook-id': 'msg_1', 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
    expect(() => new Webhook(secret).verify(`${body} `, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_2' })).toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });

  it('with two secrets (a rotation), receivers holding either one verify', () => {
    const [next, previous] = [newWebhookSecret(), newWebhookSecret()];
    const timestamp = Math.floor(Date.now() / 1000);
    const header = signatureHeader([next, previous], 'msg_9', timestamp, body);
    expect(header.split(' ')).toHaveLength(2);
    const headers = { 'webhook-id': 'msg_9', 'webhook-timestamp': String(timestamp), 'webhook-signature': header };
    expect(() => new Webhook(next).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(previous).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newWebhookSecret()).verify(body, headers)).toThrow();
  });
});
