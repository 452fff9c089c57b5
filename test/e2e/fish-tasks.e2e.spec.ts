import { DataSource } from 'typeorm';
import { CreditsService } from '../../src/billing/credits.service';
import { FishAudioLinkSigner } from '../../src/faces/fish/fish-audio-link.signer';
import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { FAKE_VOICE, startJobFixture } from '../support/job-fixture';
import { spawnService, ServiceProcess } from '../support/service-process';
import { startTestApi, TestApi } from '../support/test-api';
import { probeAudio } from '../unit/audio/audio-probe';
import { createTask, download, expectFishError, fishCall, pollUntilTerminal, TASKS_PATH } from './fish-support';

const TEXT = 'Habari za asubuhi.'; // 18 code points = 18 credits

describe('Fish async tasks: create, poll, download (api in-process, worker as a child process)', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let worker: ServiceProcess;

  beforeAll(async () => {
    const fixture = await startJobFixture();
    upstream = fixture.upstream;
    api = await startTestApi(fixture.env);
    worker = spawnService('worker', fixture.env);
    await worker.waitForOutput(/worker started/);
  });
  afterAll(async () => {
    await worker?.stop('SIGKILL');
    await api?.close();
    await upstream?.close();
  });

  const ledger = async (reference: string) =>
    (await api.app
      .get(DataSource)
      .query(`SELECT kind, amount::int AS amount FROM credit_ledger WHERE reference = $1 ORDER BY id`, [reference])) as Array<{
      kind: string;
      amount: number;
    }>;

  it.each([
    ['mp3', 'audio/mpeg', 'mp3', 'mp3', []],
    ['wav', 'audio/wav', 'wav', 'pcm_s16le', []],
    ['opus', 'audio/ogg; codecs=opus', 'ogg', 'opus', []],
    ['pcm', 'audio/pcm;rate=16000', 's16le', 'pcm_s16le', ['-f', 's16le', '-ar', '16000', '-ac', '1']],
  ])(
    '%s: 202 queued → succeeded with audioUrl → a decodable file over plain HTTP, credits reserved then charged',
    async (format, contentType, formatName, codec, probeInput) => {
      const { tenantId, apiKey } = await api.createTenant(1000);
      const created = await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format });
      expect(created.status).toBe(202);
      expect(created.body).toMatchObject({
        id: expect.stringMatching(/^job_/),
        status: 'queued',
        format,
        characters: 18,
        credits: { reserved: 18 },
      });
      expect(new Date(String(created.body.createdAt)).toISOString()).toBe(created.body.createdAt);
      expect(created.headers.get('location')).toBe(`${TASKS_PATH}/${created.body.id}`);

      const done = await pollUntilTerminal(api, apiKey, String(created.body.id));
      expect(done).toMatchObject({ id: created.body.id, status: 'succeeded', credits: { charged: 18 }, provider: 'fake' });
      expect(Date.parse(String(done.completedAt))).toBeGreaterThanOrEqual(Date.parse(String(done.createdAt)));
      const linkExpiry = Date.parse(String(done.expiresAt));
      expect(linkExpiry - Date.now()).toBeGreaterThan(800_000);
      expect(linkExpiry - Date.now()).toBeLessThanOrEqual(900_000);

      const url = new URL(String(done.audioUrl));
      expect(url.origin).toBe(api.baseUrl);
      expect(url.pathname).toBe(`${TASKS_PATH}/${created.body.id}/audio`);
      expect([...url.searchParams.keys()].sort()).toEqual(['expires', 'kid', 'signature']);
      const file = await download(url.toString());
      expect(file.status).toBe(200);
      expect(file.headers.get('content-type')).toBe(contentType);
      expect(Number(file.headers.get('content-length'))).toBe(file.bytes.length);
      expect(file.headers.get('content-disposition')).toBe(`attachment; filename="${created.body.id}.${format}"`);
      expect(file.headers.get('x-tts-provider')).toBe('fake');
      expect(file.headers.get('access-control-allow-origin')).toBe('*');
      const probed = await probeAudio(file.bytes, format, probeInput as string[]);
      expect(probed).toMatchObject({ formatName, codecName: codec, channels: 1 });
      expect(probed.durationSeconds).toBeGreaterThan(0.4);
      expect(probed.durationSeconds).toBeLessThan(0.7);

      expect(await ledger(String(created.body.id))).toEqual([
        { kind: 'reserve', amount: -18 },
        { kind: 'settle', amount: 0 },
      ]);
      expect(await api.app.get(CreditsService).summary(tenantId)).toMatchObject({ balance: 982, reserved: 0, ledgerSum: 982 });
    },
  );

  it('format defaults to mp3; byte ranges are served for players that seek', async () => {
    const { apiKey } = await api.createTenant(1000);
    const created = await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE });
    expect(created.body.format).toBe('mp3');
    const done = await pollUntilTerminal(api, apiKey, String(created.body.id));
    const whole = await download(String(done.audioUrl));
    expect(whole.headers.get('content-type')).toBe('audio/mpeg');
    const part = await download(String(done.audioUrl), { range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 10-19/${whole.bytes.length}`);
    expect(part.bytes.equals(whole.bytes.subarray(10, 20))).toBe(true);
    expect((await download(String(done.audioUrl), { range: `bytes=${whole.bytes.length}-` })).status).toBe(416);
    const head = await fetch(String(done.audioUrl), { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(Number(head.headers.get('content-length'))).toBe(whole.bytes.length);
  });

  it('engine alias: sauti-vits speaks the catalogue voice with its VITS model only', async () => {
    const { apiKey } = await api.createTenant(1000);
    const created = await createTask(api, apiKey, { text: 'Jambo.', voiceId: 'sauti-test-v1', engineModelId: 'sauti-vits', format: 'wav' });
    expect(created.status).toBe(202);
    const done = await pollUntilTerminal(api, apiKey, String(created.body.id));
    expect(done).toMatchObject({ status: 'succeeded', provider: 'vits' });
    expect((await download(String(done.audioUrl))).headers.get('x-tts-provider')).toBe('vits');
  });

  it("engineModelId provider/model: the upstream gets the catalogue voice's own voice, or a non-catalogue voiceId as is", async () => {
    const { apiKey } = await api.createTenant(1000);
    for (const [voiceId, upstreamVoice] of [
      [FAKE_VOICE, 'fake'],
      ['nova', 'nova'],
    ]) {
      upstream.requests.length = 0;
      const created = await createTask(api, apiKey, { text: 'Jambo.', voiceId, engineModelId: 'fake/fake-model', format: 'wav' });
      expect(created.status).toBe(202);
      expect(await pollUntilTerminal(api, apiKey, String(created.body.id))).toMatchObject({ status: 'succeeded', provider: 'fake' });
      expect(JSON.parse(upstream.requests[0].body.toString())).toMatchObject({
        model: 'fake-model',
        voice: upstreamVoice,
        input: 'Jambo.',
      });
    }
  });

  it('engine alias: espeak speaks the catalogue voice offline', async () => {
    const { apiKey } = await api.createTenant(1000);
    const created = await createTask(api, apiKey, { text: 'Jambo.', voiceId: 'sauti-test-v1', engineModelId: 'espeak', format: 'wav' });
    expect(created.status).toBe(202);
    const done = await pollUntilTerminal(api, apiKey, String(created.body.id));
    expect(done).toMatchObject({ status: 'succeeded', provider: 'espeak' });
    const file = await download(String(done.audioUrl));
    expect((await probeAudio(file.bytes, 'wav')).sampleRate).toBe(16000);
  });

  it('a failing upstream: status failed with error {code, message}, credits released', async () => {
    const { tenantId, apiKey } = await api.createTenant(100);
    upstream.defaultResponse = { status: 400, body: { error: { message: 'voice refuses this text' } } };
    try {
      const created = await createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' });
      const done = await pollUntilTerminal(api, apiKey, String(created.body.id));
      expect(done).toMatchObject({
        status: 'failed',
        error: { code: 'synthesis_rejected', message: expect.stringContaining('refuses') },
        credits: { charged: 0 },
      });
      expect(done.audioUrl).toBeUndefined();
      expect(await api.app.get(CreditsService).summary(tenantId)).toMatchObject({ balance: 100, reserved: 0, ledgerSum: 100 });
    } finally {
      upstream.reset();
      upstream.defaultResponse = {
        status: 200,
        headers: { 'content-type': 'audio/wav' },
        body: (await import('../fakes/scriptable-upstream')).toneWav(0.5, 16000),
      };
    }
  });

  it('Idempotency-Key: the same key and body return the same task once; another body is refused', async () => {
    const { tenantId, apiKey } = await api.createTenant(1000);
    const body = { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' };
    const first = await createTask(api, apiKey, body, { 'idempotency-key': 'batch-7-item-1' });
    const again = await createTask(api, apiKey, body, { 'idempotency-key': 'batch-7-item-1' });
    expect(again.status).toBe(202);
    expect(again.body.id).toBe(first.body.id);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expectFishError(
      await createTask(api, apiKey, { ...body, text: 'Another text.' }, { 'idempotency-key': 'batch-7-item-1' }),
      400,
      'idempotency_key_reused',
    );
    const rows = await api.app.get(DataSource).query(`SELECT count(*)::int AS n FROM synthesis_jobs WHERE tenant_id = $1`, [tenantId]);
    expect(rows[0].n).toBe(1);
    await pollUntilTerminal(api, apiKey, String(first.body.id));
  });

  it('batch: 20 tasks at once against a balance that covers 7 → exactly 7 accepted, 13 × 402, balance and ledger exact', async () => {
    const text = 'Kazi ya kundi.';
    const price = [...text].length;
    const { tenantId, apiKey } = await api.createTenant(7 * price + price - 1);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        createTask(api, apiKey, { text, voiceId: FAKE_VOICE, format: 'wav' }, { 'idempotency-key': `batch-${index}` }),
      ),
    );
    const accepted = responses.filter((response) => response.status === 202);
    expect(accepted).toHaveLength(7);
    for (const refused of responses.filter((response) => response.status !== 202)) expectFishError(refused, 402, 'insufficient_credits');
    const rows = await api.app.get(DataSource).query(`SELECT id FROM synthesis_jobs WHERE tenant_id = $1`, [tenantId]);
    expect(rows.map((row: { id: string }) => row.id).sort()).toEqual(accepted.map((response) => String(response.body.id)).sort());

    for (const task of accepted)
      expect(await pollUntilTerminal(api, apiKey, String(task.body.id))).toMatchObject({
        status: 'succeeded',
        credits: { charged: price },
      });
    const kinds = await api.app
      .get(DataSource)
      .query(
        `SELECT kind, count(*)::int AS n, sum(amount)::int AS total FROM credit_ledger WHERE tenant_id = $1 GROUP BY kind ORDER BY kind`,
        [tenantId],
      );
    expect(kinds).toEqual([
      { kind: 'reserve', n: 7, total: -7 * price },
      { kind: 'settle', n: 7, total: 0 },
      { kind: 'topup', n: 1, total: 8 * price - 1 },
    ]);
    expect(await api.app.get(CreditsService).summary(tenantId)).toEqual({
      tenantId,
      balance: price - 1,
      reserved: 0,
      ledgerSum: price - 1,
    });
    const profile = await fishCall(api, 'GET', '/api/open/v1/profile', { apiKey });
    expect(profile.body).toMatchObject({ credits: { balance: price - 1, reserved: 0 }, tasks: { queued: 0, processing: 0 } });
  });

  describe('signed audio links', () => {
    let apiKey: string;
    let first: Record<string, unknown>;
    let second: Record<string, unknown>;

    beforeAll(async () => {
      ({ apiKey } = await api.createTenant(1000));
      const [a, b] = await Promise.all([1, 2].map(() => createTask(api, apiKey, { text: TEXT, voiceId: FAKE_VOICE, format: 'wav' })));
      first = await pollUntilTerminal(api, apiKey, String(a.body.id));
      second = await pollUntilTerminal(api, apiKey, String(b.body.id));
    });

    const get = async (url: URL) => {
      const response = await fetch(url);
      return { status: response.status, headers: response.headers, body: (await response.json()) as Record<string, unknown> };
    };

    it('a tampered signature, an edited expiry, an unknown key id or a missing part: 403', async () => {
      const cases: Array<(url: URL) => void> = [
        (url) => url.searchParams.set('signature', flipLastCharacter(url.searchParams.get('signature')!)),
        (url) => url.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600)),
        (url) => url.searchParams.set('kid', 'k0'),
        (url) => url.searchParams.delete('signature'),
      ];
      for (const tamper of cases) {
        const url = new URL(String(first.audioUrl));
        tamper(url);
        expectFishError(await get(url), 403, 'forbidden');
      }
    });

    it("another task's signature on this task: 403", async () => {
      const url = new URL(String(first.audioUrl));
      url.pathname = `${TASKS_PATH}/${second.id}/audio`;
      expectFishError(await get(url), 403, 'forbidden');
    });

    it('an expired link: 410; polling again issues a working one', async () => {
      const signer = api.app.get(FishAudioLinkSigner);
      const stale = signer.sign(String(first.id), api.baseUrl, null, new Date(Date.now() - 901_000));
      expectFishError(await get(new URL(stale.url)), 410, 'link_expired');
      const fresh = await fishCall(api, 'GET', `${TASKS_PATH}/${first.id}`, { apiKey });
      expect((await download(String(fresh.body.audioUrl))).status).toBe(200);
    });

    it('a genuine link needs no API key and ignores one', async () => {
      expect((await download(String(first.audioUrl))).status).toBe(200);
      expect((await download(String(first.audioUrl), { authorization: 'Bearer not-a-key' })).status).toBe(200);
    });
  });
});

function flipLastCharacter(value: string): string {
  const last = value.at(-1) === 'A' ? 'B' : 'A';
  return value.slice(0, -1) + last;
}
