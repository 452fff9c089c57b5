import { ScriptableUpstream } from '../../fakes/scriptable-upstream';
import { RESPONSE_SNIPPET_BYTES, WebhookHttpClient, WebhookTransportError } from '../../../src/webhooks/webhook-http.client';

describe('webhook HTTP client', () => {
  let receiver: ScriptableUpstream;
  let other: ScriptableUpstream;
  const sut = new WebhookHttpClient();
  const loopback = { address: '127.0.0.1', family: 4 as const };

  beforeAll(async () => {
    receiver = await ScriptableUpstream.start();
    other = await ScriptableUpstream.start();
  });
  afterEach(() => {
    receiver.reset();
    other.reset();
  });
  afterAll(async () => {
    sut.close();
    await receiver.close();
    await other.close();
  });

  const urlOn = (host: string) => new URL(`http://${host}:${new URL(receiver.url).port}/hook`);

  it('connects to the address it was given, not to what the name resolves to now (no DNS rebinding)', async () => {
    receiver.enqueue({ status: 200, body: 'ok' });
    // `.invalid` never resolves (RFC 6761): the request can only arrive through the pinned address.
    const answer = await sut.post(urlOn('hooks.invalid'), loopback, { 'content-type': 'application/json' }, '{"a":1}', 2000);
    expect(answer).toMatchObject({ status: 200, snippet: 'ok' });
    expect(receiver.requests[0]).toMatchObject({ method: 'POST', path: '/hook' });
    expect(receiver.requests[0].headers.host).toBe(`hooks.invalid:${new URL(receiver.url).port}`);
    expect(receiver.requests[0].body.toString()).toBe('{"a":1}');
  });

  it('does not follow a redirect, even to an address it would accept', async () => {
    receiver.enqueue({ redirectTo: `${other.url}/internal`, status: 302 });
    const answer = await sut.post(urlOn('127.0.0.1'), loopback, {}, '{}', 2000);
    expect(answer.status).toBe(302);
    expect(answer.location).toBe(`${other.url}/internal`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(other.calls).toBe(0);
  });

  it('reads no more than the cap of a long answer', async () => {
    receiver.enqueue({ status: 500, streamBytes: 10 * 1024 * 1024 });
    const answer = await sut.post(urlOn('127.0.0.1'), loopback, {}, '{}', 5000);
    expect(answer.status).toBe(500);
    expect(Buffer.byteLength(answer.snippet)).toBeLessThanOrEqual(RESPONSE_SNIPPET_BYTES);
  });

  it('gives up after the timeout, and says why when nobody listens', async () => {
    receiver.enqueue({ hang: true });
    const started = Date.now();
    await expect(sut.post(urlOn('127.0.0.1'), loopback, {}, '{}', 300)).rejects.toThrow(
      new WebhookTransportError('no answer within 300 ms'),
    );
    expect(Date.now() - started).toBeLessThan(2000);
    const closed = new URL('http://127.0.0.1:1/hook');
    await expect(sut.post(closed, loopback, {}, '{}', 2000)).rejects.toThrow(/ECONNREFUSED/);
  });
});
