import { connect, Socket } from 'node:net';
import { toneWav } from '../fakes/scriptable-upstream';
import { startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';

/** A raw keep-alive connection to `baseUrl`: sends GET /health/live and resolves once the answer has arrived whole. */
async function openConnection(baseUrl: string): Promise<{ socket: Socket; ask(): Promise<string>; closedAt: Promise<number> }> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const closedAt = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
  const ask = async () => {
    received = '';
    socket.write(`GET /health/live HTTP/1.1\r\nHost: ${hostname}\r\nConnection: keep-alive\r\n\r\n`);
    for (let waited = 0; !/\r\n\r\n[\s\S]*\}$/.test(received); waited += 10) {
      if (waited > 5000 || socket.destroyed) throw new Error(`no whole answer on the connection: ${JSON.stringify(received)}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    return received;
  };
  return { socket, ask, closedAt };
}

/** Whether `closedAt` resolves within `ms`. */
async function closedWithin(closedAt: Promise<number>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const closed = await Promise.race([
    closedAt.then(() => true),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms))),
  ]);
  clearTimeout(timer);
  return closed;
}

describe('idle client connections (HTTP_KEEP_ALIVE_TIMEOUT_MS)', () => {
  let api: TestApi | undefined;
  afterEach(() => api?.close());
  const started = async (overrides: Record<string, string> = {}) => (api = await startTestApi(overrides));

  it('keeps an idle connection open past Node’s own 5 s by default, and answers on it', async () => {
    const api = await started();
    // Node closes it once idle for its keepAliveTimeout (5 s) plus a second's grace.
    expect(api.config.http.keepAliveTimeoutMs).toBe(65_000);
    const connection = await openConnection(api.baseUrl);
    expect(await connection.ask()).toMatch(/^HTTP\/1\.1 200/);
    await new Promise((resolve) => setTimeout(resolve, 7000));
    expect(connection.socket.destroyed).toBe(false);
    expect(await connection.ask()).toMatch(/^HTTP\/1\.1 200/);
    connection.socket.destroy();
  }, 15_000);

  it('closes a connection idle for longer than the setting', async () => {
    const api = await started({ HTTP_KEEP_ALIVE_TIMEOUT_MS: '1000' });
    const connection = await openConnection(api.baseUrl);
    expect(await connection.ask()).toMatch(/^HTTP\/1\.1 200/);
    const idleFrom = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const closed = await Promise.race([
      connection.closedAt,
      new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), 4000))),
    ]);
    clearTimeout(timer);
    expect(closed).toBeDefined();
    expect(closed! - idleFrom).toBeGreaterThanOrEqual(900);
  }, 15_000);

  it('shutting down does not wait for kept-alive or unused connections: each is closed once no answer is under way', async () => {
    const closing = await started();
    api = undefined;
    const used = await openConnection(closing.baseUrl);
    expect(await used.ask()).toMatch(/^HTTP\/1\.1 200/);
    const unused = await openConnection(closing.baseUrl); // connected, no request sent
    const began = Date.now();
    await closing.close();
    expect(Date.now() - began).toBeLessThan(3000);
    for (const connection of [used, unused]) expect(await closedWithin(connection.closedAt, 3000)).toBe(true);
  }, 15_000);

  it('shutting down lets an answer under way finish whole, then closes its connection', async () => {
    const { upstream, env } = await startJobFixture();
    try {
      upstream.defaultResponse = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000), delayMs: 500 };
      const closing = await started(env);
      api = undefined;
      const { apiKey } = await closing.createTenant(1000);
      const answer = fetch(`${closing.baseUrl}/v1/audio/speech`, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fake/fake-model', voice: 'nova', input: 'Habari ya leo.', response_format: 'wav' }),
      }).then(async (response) => ({ status: response.status, bytes: Buffer.from(await response.arrayBuffer()) }));
      for (let i = 0; i < 250 && upstream.calls === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      const closed = closing.close();
      const { status, bytes } = await answer;
      expect(status).toBe(200);
      expect(bytes.subarray(0, 4).toString()).toBe('RIFF');
      expect(bytes.length).toBe(bytes.readUInt32LE(4) + 8); // whole
      await closed;
    } finally {
      await upstream.close();
    }
  }, 15_000);
});
