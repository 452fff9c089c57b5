import { AppConfig } from '../../../src/config/app-config';
import * as espeakSpeech from '../../../src/espeak/espeak-speech';
import type { InferencePool } from '../../../src/providers/vits/inference.pool';
import type { InferTask } from '../../../src/providers/vits/inference.worker';
import { loadVoiceModel, VoiceModel } from '../../../src/providers/vits/voice-models';
import { speakWithVoice } from '../../../src/providers/vits/vits.synthesizer';

/**
 * Time to first audio must not grow with the text: the first chunk's ONNX run starts as soon as that
 * chunk is phonemized, while eSpeak works through the rest. Checked by order of events, not by time.
 */
describe('speakWithVoice: the first chunk goes first', () => {
  let voice: VoiceModel;
  let events: string[];
  let pool: InferencePool;
  /** Resolves when the second phonemization (the rest of the text) has its answer and is being held. */
  let restHeld: Promise<void>;
  let releaseRest: () => void;

  beforeAll(() => {
    const config = AppConfig.load({ ...process.env, VOICES_DIR: '/nonexistent/voices' });
    const entry = config.voices.voices.find((candidate) => candidate.id === 'sauti-test-v1')!;
    const loaded = loadVoiceModel(entry, config.paths.voicesDir);
    if (!loaded.available) throw new Error(loaded.voice.reason);
    voice = loaded.model;
  });

  beforeEach(() => {
    events = [];
    const real = espeakSpeech.phonemizeClauses;
    let calls = 0;
    let held!: () => void;
    restHeld = new Promise<void>((resolve) => (held = resolve));
    const release = new Promise<void>((resolve) => (releaseRest = resolve));
    jest.spyOn(espeakSpeech, 'phonemizeClauses').mockImplementation(async (clauses, espeakVoice, signal) => {
      const call = ++calls;
      events.push(`phonemize ${call}: ${clauses.length} clauses`);
      const ipa = await real(clauses, espeakVoice, signal);
      if (call === 2) {
        held();
        await release;
      }
      events.push(`phonemized ${call}`);
      return ipa;
    });
    const infer = jest.fn((task: InferTask) => {
      events.push(`infer ${task.ids.length} ids`);
      // As the worker answers a pcm16 task: 16-bit speech, then the zeros asked for after it.
      return Promise.resolve(new Int16Array(task.ids.length * 10 + (task.silenceAfter ?? 0)).fill(3277, 0, task.ids.length * 10));
    });
    pool = { infer } as unknown as InferencePool;
  });
  afterEach(() => jest.restoreAllMocks());

  it('gives the first chunk audio while the rest of the text is still being phonemized, then every chunk in order', async () => {
    const text = 'Habari za asubuhi. Leo ni siku nzuri sana. Watoto wanakwenda shuleni.';
    const sut = speakWithVoice(voice, { text, settings: {} }, pool, new AbortController().signal);
    const first = await sut.next();
    await restHeld;
    // The first chunk was phonemized alone, inferred and handed over; the rest is still held at eSpeak.
    expect(first.done).toBe(false);
    expect(events).toEqual(['phonemize 1: 1 clauses', 'phonemized 1', 'phonemize 2: 2 clauses', expect.stringMatching(/^infer \d+ ids$/)]);
    releaseRest();
    const chunks = [first.value as Int16Array];
    for await (const chunk of sut) chunks.push(chunk);
    expect(chunks).toHaveLength(3);
    expect(events.slice(4)).toEqual(['phonemized 2', expect.stringMatching(/^infer/), expect.stringMatching(/^infer/)]);
    // Each chunk is its speech (the fake pool gives 10 samples per id) and the 0.2 s sentence pause, but the last.
    const speech = events.filter((event) => event.startsWith('infer')).map((event) => Number(/\d+/.exec(event)![0]) * 10);
    const pause = Math.round(0.2 * voice.sampleRate);
    expect(chunks.map((chunk) => chunk.length)).toEqual([speech[0] + pause, speech[1] + pause, speech[2]]);
  });

  it('still rejects a text with nothing to speak', async () => {
    releaseRest();
    const sut = speakWithVoice(voice, { text: '... !!', settings: {} }, pool, new AbortController().signal);
    await expect(sut.next()).rejects.toMatchObject({ code: 'invalid_request' });
    expect(events.filter((event) => event.startsWith('infer'))).toHaveLength(0);
  });
});
