import 'reflect-metadata';
import { ProviderEntry } from '../../../src/config/providers.config';
import { DEFAULT_VOICE_SETTINGS } from '../../../src/common/voice-settings';
import { EspeakProvider } from '../../../src/providers/espeak/espeak.provider';
import { espeakSessions } from '../../../src/espeak/espeak-sessions';

const SENTENCES = ['Habari ya asubuhi.', 'Leo ni siku nzuri sana kwa matembezi.', 'Tutaonana kesho jioni.', 'Asante sana, rafiki.'];

describe('eSpeak NG as a stream: sentence groups, each yielded as soon as it is spoken', () => {
  const provider = new EspeakProvider(Object.assign(new ProviderEntry(), { id: 'espeak', kind: 'espeak' }));
  afterAll(() => espeakSessions.close());

  it('yields the text in pieces: the first sentence alone, a pause, then the rest (its first bytes wait only for the first sentence)', async () => {
    const audio = await provider.synthesize(
      {
        text: SENTENCES.join(' '),
        voice: 'sw',
        settings: { ...DEFAULT_VOICE_SETTINGS },
        output: { format: 'pcm', sampleRate: 22050 },
      },
      { signal: new AbortController().signal, timeoutMs: 30_000, requestId: 'espeak-stream' },
    );
    expect(audio.descriptor).toEqual({ format: 'pcm', sampleRate: 22050, channels: 1 });
    const chunks: Buffer[] = [];
    for await (const chunk of audio.chunks) chunks.push(chunk);

    // The first sentence, a pause, the rest (one group, or two), each a separate chunk.
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    const whole = Buffer.concat(chunks).length;
    expect(chunks[0].length).toBeLessThan(whole / 3);
    // The first chunk alone is the first sentence as eSpeak speaks it by itself.
    const alone = await provider.synthesize(
      { text: SENTENCES[0], voice: 'sw', settings: { ...DEFAULT_VOICE_SETTINGS }, output: { format: 'pcm', sampleRate: 22050 } },
      { signal: new AbortController().signal, timeoutMs: 30_000, requestId: 'espeak-one' },
    );
    let aloneBytes = 0;
    for await (const chunk of alone.chunks) aloneBytes += chunk.length;
    expect(Math.abs(chunks[0].length - aloneBytes) / aloneBytes).toBeLessThan(0.02);
    // Between sentences: silence.
    expect(chunks[1].every((byte) => byte === 0)).toBe(true);
  });
});
