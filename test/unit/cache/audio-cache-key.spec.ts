import { audioCacheKey, AudioCacheKeyParts, canonicalJson } from '../../../src/synthesis/cache/audio-cache-key';
import { withCacheControl } from '../../../src/faces/shared/cache-control';
import type { SynthesisRequest } from '../../../src/synthesis/synthesis-request';

const BASE: AudioCacheKeyParts = {
  scope: '6f1c2d9e-0000-4000-8000-000000000001',
  target: { provider: 'vits', voice: 'sauti-swahili-v1' },
  identity: { engine: 'vits:abc', input: { text: 'habari', speakingRate: 1, noiseScale: 0.667, noiseScaleDuration: 0.8, speaker: null } },
  output: { format: 'wav', sampleRate: 16000 },
  bySentence: false,
};

describe('audioCacheKey', () => {
  const sut = audioCacheKey;

  it('is a SHA-256 in hex, the same for the same parts whatever the order of their members', () => {
    const reordered: AudioCacheKeyParts = {
      bySentence: false,
      output: { sampleRate: 16000, format: 'wav' },
      identity: {
        input: { speaker: null, noiseScaleDuration: 0.8, noiseScale: 0.667, speakingRate: 1, text: 'habari' },
        engine: 'vits:abc',
      },
      target: { voice: 'sauti-swahili-v1', provider: 'vits' },
      scope: BASE.scope,
    };
    expect(sut(BASE)).toMatch(/^[0-9a-f]{64}$/);
    expect(sut(reordered)).toBe(sut(BASE));
  });

  it.each<[string, Partial<AudioCacheKeyParts>]>([
    ['the scope (another tenant)', { scope: 'shared' }],
    ['the provider', { target: { provider: 'espeak', voice: 'sauti-swahili-v1' } }],
    ['the voice', { target: { provider: 'vits', voice: 'sauti-test-v1' } }],
    ['the model', { target: { provider: 'vits', voice: 'sauti-swahili-v1', model: 'x' } }],
    ['the engine (another model file)', { identity: { ...BASE.identity, engine: 'vits:abd' } }],
    ['the text', { identity: { ...BASE.identity, input: { ...BASE.identity.input, text: 'habari!' } } }],
    ['a setting', { identity: { ...BASE.identity, input: { ...BASE.identity.input, noiseScale: 0.5 } } }],
    ['the format', { output: { format: 'mp3', sampleRate: 16000 } }],
    ['the sample rate', { output: { format: 'wav', sampleRate: 24000 } }],
    ['the bitrate', { output: { format: 'wav', sampleRate: 16000, bitrateKbps: 64 } }],
    ['sentence-by-sentence rendering', { bySentence: true }],
  ])('changes with %s', (_what, change) => {
    expect(sut({ ...BASE, ...change })).not.toBe(sut(BASE));
  });

  it('canonicalJson sorts keys at every level and leaves out undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { f: 1, e: 0 }], c: undefined } })).toBe('{"a":{"d":[2,{"e":0,"f":1}]},"b":1}');
  });
});

describe('withCacheControl', () => {
  const request = { text: 'x', characters: 1, route: 'v', fallbacks: [], format: 'wav' } as unknown as SynthesisRequest;
  const sut = withCacheControl;

  it.each([['no-store'], ['No-Store'], ['private, no-store'], [['max-age=0', 'no-store']]])('%j keeps the cache out', (header) => {
    expect(sut(request, header).cache).toBe('no-store');
  });

  it.each([[undefined], [''], ['no-cache'], ['max-age=0'], ['no-storex']])('%j changes nothing', (header) => {
    expect(sut(request, header)).toBe(request);
  });
});
