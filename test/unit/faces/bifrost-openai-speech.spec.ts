import 'reflect-metadata';
import { resultTtlFromHeader, toSynthesisRequest } from '../../../src/faces/bifrost/bifrost-speech.mapper';
import type { BifrostSpeechRequestDto } from '../../../src/faces/bifrost/bifrost-speech.dto';
import { ElevenLabsCompatibleProvider } from '../../../src/providers/elevenlabs-compatible/elevenlabs-compatible.provider';
import { OpenAiCompatibleProvider } from '../../../src/providers/openai-compatible/openai-compatible.provider';
import type { ProviderEntry } from '../../../src/config/providers.config';
import type { UpstreamTools } from '../../../src/providers/http/upstream-provider.base';
import { fieldsIgnoredBy } from '../../../src/synthesis/field-support';
import { joinSentences, SentenceAudio } from '../../../src/synthesis/sentence-synthesis';
import { planPieces } from '../../../src/text/sentence-plan';
import { VITS_FIELDS } from '../../../src/providers/vits/vits.provider';

const entry = {
  id: 'x',
  kind: 'openai-compatible',
  max_text_length: 5000,
  models: [],
  model_map: {},
  voice_map: {},
  pcm_sample_rate: 24000,
} as unknown as ProviderEntry;
const tools = {} as UpstreamTools;
const fieldsOf = (provider: { capabilities(): { fields: Parameters<typeof fieldsIgnoredBy>[0] } }) => provider.capabilities().fields;

describe('x-bf-async-job-result-ttl', () => {
  it.each([
    [undefined, 3600],
    ['120', 120],
    [' 60 ', 60],
    ['0', 3600],
    ['-5', 3600],
    ['abc', 3600],
    ['1.5', 3600],
    ['1e3', 3600],
    ['', 3600],
    ['99999999999999999999', 3600],
    [['30', '40'], 30],
  ])('%p → %p', (header, expected) => {
    expect(resultTtlFromHeader(header as string | string[] | undefined, 3600)).toBe(expected);
  });
});

describe('Bifrost body → neutral request', () => {
  const dto = (extra: Partial<BifrostSpeechRequestDto> = {}) =>
    ({ model: 'vits/sauti-test-v1', input: 'Habari', voice: 'alloy', ...extra }) as BifrostSpeechRequestDto;

  it('maps speed to the speaking rate, mp3 by default, and keeps what providers may use', () => {
    const sut = toSynthesisRequest(
      dto({ speed: 1.5, language_code: 'sw', instructions: 'calm', with_timestamps: true, fallbacks: ['espeak/sw'] }),
    );
    expect(sut).toMatchObject({
      route: 'vits/sauti-test-v1',
      voice: 'alloy',
      format: 'mp3',
      language: 'sw',
      instructions: 'calm',
      withTimestamps: true,
      fallbacks: ['espeak/sw'],
    });
    expect(sut.settings.speakingRate).toBe(1.5);
  });

  it('counts code points after NFC', () => {
    expect(toSynthesisRequest(dto({ input: 'Cafe\u0301 😀' })).characters).toBe(6);
  });

  it('refuses sse, pronunciation dictionaries and blank input, naming the field', () => {
    expect(() => toSynthesisRequest(dto({ stream_format: 'sse' }))).toThrow(
      expect.objectContaining({ code: 'invalid_request', field: 'stream_format' }),
    );
    expect(() => toSynthesisRequest(dto({ pronunciation_dictionary_locators: [{ pronunciation_dictionary_id: 'x' }] }))).toThrow(
      expect.objectContaining({ field: 'pronunciation_dictionary_locators' }),
    );
    expect(() => toSynthesisRequest(dto({ input: '   ' }))).toThrow(expect.objectContaining({ field: 'input' }));
  });
});

describe('fields a provider does not honour (its own capabilities)', () => {
  it('vits: the model names the voice, no instructions or language', () => {
    expect(fieldsIgnoredBy(VITS_FIELDS, { voice: 'alloy', speed: 2, instructions: 'x', language_code: 'sw' })).toEqual([
      'voice',
      'instructions',
      'language_code',
    ]);
  });
  it('openai-compatible honours voice, speed and instructions', () => {
    expect(
      fieldsIgnoredBy(fieldsOf(new OpenAiCompatibleProvider(entry, undefined, tools)), { voice: 'nova', speed: 4, instructions: 'x' }),
    ).toEqual([]);
  });
  it('elevenlabs-compatible clamps speed outside 0.7–1.2', () => {
    expect(
      fieldsIgnoredBy(fieldsOf(new ElevenLabsCompatibleProvider({ ...entry, kind: 'elevenlabs-compatible' }, undefined, tools)), {
        speed: 1.1,
        language_code: 'sw',
      }),
    ).toEqual([]);
    expect(
      fieldsIgnoredBy(fieldsOf(new ElevenLabsCompatibleProvider({ ...entry, kind: 'elevenlabs-compatible' }, undefined, tools)), {
        speed: 2,
      }),
    ).toEqual(['speed']);
  });
});

describe('sentence plans', () => {
  const sentence = (i: number) => `Sentensi ya ${i} ina maneno ya kutosha kwa jaribio hili la mpango.`; // 66-67 chars
  const text = Array.from({ length: 12 }, (_, i) => sentence(i + 1)).join(' ');

  it('sentence: one piece per sentence', () => {
    expect(planPieces(text, 'sentence')).toHaveLength(12);
  });

  it('growing: the first sentence alone, then whole sentences in groups of doubling size', () => {
    const sut = planPieces(text, 'growing');
    expect(sut[0]).toBe(sentence(1));
    expect(sut.join(' ')).toBe(text);
    expect(sut[1].length).toBeLessThanOrEqual(250);
    expect(sut[2].length).toBeLessThanOrEqual(500);
    expect(sut[1].length).toBeGreaterThan(sut[0].length);
    expect(sut.length).toBeLessThan(6);
  });

  it('text with no letters stays one piece', () => {
    expect(planPieces('...', 'growing')).toEqual(['...']);
  });

  it('joins sentences with their pauses and reports sample-exact spans', () => {
    const piece = (index: number, length: number): SentenceAudio => ({
      index,
      text: `s${index}`,
      samples: new Float32Array(length).fill(0.5),
      provider: 'vits',
      attempts: [],
    });
    // A sentence pause is 0.2 s: 200 samples at 1 kHz.
    const sut = joinSentences([piece(0, 500), piece(1, 300)], 1000);
    expect(sut.samples.length).toBe(1000);
    expect(sut.segments).toEqual([
      { text: 's0', startSeconds: 0, endSeconds: 0.5 },
      { text: 's1', startSeconds: 0.7, endSeconds: 1 },
    ]);
    expect(sut.samples[600]).toBe(0);
    expect(sut.samples[750]).toBe(0.5);
  });
});
