import type { ScriptableUpstream } from '../fakes/scriptable-upstream';
import { toneWav } from '../fakes/scriptable-upstream';
import { CreditsService } from '../../src/billing/credits.service';
import { eventually } from '../support/eventually';
import { startJobFixture } from '../support/job-fixture';
import { startTestApi, TestApi } from '../support/test-api';

const VOICE = 'fake-then-espeak';
const TONE = { status: 200, headers: { 'content-type': 'audio/wav' }, body: toneWav(0.5, 16000) };
const DOWN = { status: 500, body: { error: { message: 'upstream down' } }, delayMs: 300 };

/**
 * Timestamped speech is spoken sentence by sentence. The first sentence picks the target through the
 * chain; the later ones are spoken by that target only, so a text is never read in two voices
 * (the Bifrost face's job case is in bifrost-speech.e2e.spec.ts).
 */
describe('timestamped speech: one voice for the whole text', () => {
  let api: TestApi;
  let upstream: ScriptableUpstream;
  let apiKey: string;

  beforeAll(async () => {
    const fixture = await startJobFixture({
      voices: [
        {
          id: VOICE,
          name: 'Fake upstream, then eSpeak',
          language: 'sw',
          sample_rate: 16000,
          chain: [
            { provider: 'fake', voice: 'fake', model: 'fake-model', timeout_ms: 60_000 },
            { provider: 'espeak', voice: 'sw', timeout_ms: 10_000 },
          ],
        },
      ],
    });
    upstream = fixture.upstream;
    upstream.defaultResponse = TONE;
    api = await startTestApi(fixture.env);
    ({ apiKey } = await api.createTenant(100_000));
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await api.close();
    await upstream.close();
  });

  const espeakAttempts = async () => {
    const text = await (await fetch(`${api.baseUrl}/metrics`)).text();
    return text
      .split('\n')
      .filter((line) => line.startsWith('tts_provider_attempts_total{provider="espeak"'))
      .reduce((sum, line) => sum + Number(line.split(' ').at(-1)), 0);
  };

  it("ElevenLabs stream/with-timestamps: a later sentence failing on the first sentence's target ends the stream instead of switching voices", async () => {
    const before = await espeakAttempts();
    upstream.enqueue(TONE, DOWN, DOWN);
    const response = await fetch(`${api.baseUrl}/elevenlabs/v1/text-to-speech/${VOICE}/stream/with-timestamps`, {
      method: 'POST',
      headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Moja. Mbili. Tatu.' }),
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-tts-provider')).toBe('fake');
    // The first sentence's audio went out; the connection is then cut, as for any stream failing after its first byte.
    await expect(response.text()).rejects.toThrow();
    expect(await espeakAttempts()).toBe(before);
    expect(upstream.calls).toBeGreaterThanOrEqual(2);
  });

  it('ElevenLabs with-timestamps (one JSON answer): the same failure is answered as an error, with nothing charged', async () => {
    const { apiKey: key, tenantId } = await api.createTenant(100_000);
    upstream.enqueue(TONE, DOWN, DOWN);
    const response = await fetch(`${api.baseUrl}/elevenlabs/v1/text-to-speech/${VOICE}/with-timestamps`, {
      method: 'POST',
      headers: { 'xi-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Moja. Mbili. Tatu.' }),
    });
    expect(response.status).toBeGreaterThanOrEqual(500);
    expect(await response.json()).toMatchObject({ detail: expect.anything() });
    await eventually(async () => expect((await api.app.get(CreditsService).summary(tenantId)).balance).toBe(100_000));
  });

  it('the same request with the target healthy is spoken whole by it', async () => {
    const before = await espeakAttempts();
    const response = await fetch(`${api.baseUrl}/elevenlabs/v1/text-to-speech/${VOICE}/stream/with-timestamps`, {
      method: 'POST',
      headers: { 'xi-api-key': apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Moja. Mbili. Tatu.' }),
    });
    expect(response.status).toBe(200);
    const lines = (await response.text()).trim().split('\n');
    const characters = lines.flatMap((line) => (JSON.parse(line) as { alignment?: { characters: string[] } }).alignment?.characters ?? []);
    expect(characters.join('')).toBe('Moja. Mbili. Tatu.');
    expect(upstream.calls).toBe(3);
    expect(await espeakAttempts()).toBe(before);
  });
});
