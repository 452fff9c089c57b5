import { AppConfig } from '../../../src/config/app-config';
import { ProvidersConfig } from '../../../src/config/providers.config';
import { configFor, writeConfigDir } from '../../fakes/routing-fixture';

const LOCAL = [
  { id: 'vits', kind: 'vits' },
  { id: 'espeak', kind: 'espeak' },
];
const route = (id: string, chain: Record<string, unknown>[]) => ({ id, name: id, language: 'sw', sample_rate: 16000, chain });

/** AppConfig over the repository's config/ with providers.yaml and routes.yaml replaced. */
function load(providers: Record<string, unknown>[], routes: { voices?: unknown[]; models?: unknown[] } = {}): () => AppConfig {
  return () =>
    configFor(
      writeConfigDir({
        'providers.yaml': { providers: [...LOCAL, ...providers] },
        'routes.yaml': { voices: routes.voices ?? [], models: routes.models ?? [] },
      }),
    );
}

describe('routing configuration checked at start-up', () => {
  it('accepts the repository configuration', () => {
    expect(configFor(writeConfigDir({}))).toBeInstanceOf(AppConfig);
  });

  it('refuses duplicate ids, chains naming unknown providers, bad model keys and voice ids with a slash', () => {
    expect(load([{ id: 'espeak', kind: 'espeak' }])).toThrow("provider id 'espeak' is defined twice");
    expect(load([], { voices: [route('v', [{ provider: 'nowhere', voice: 'x' }])] })).toThrow(
      "voices.v.chain[0] names unknown provider 'nowhere'",
    );
    expect(load([], { voices: [route('a/b', [{ provider: 'espeak', voice: 'sw' }])] })).toThrow("voice id 'a/b' must not contain '/'");
    expect(load([], { models: [route('plain', [{ provider: 'espeak', voice: 'sw' }])] })).toThrow(
      'models.plain must be a provider/model key',
    );
    expect(
      load([], { voices: [route('v', [{ provider: 'espeak', voice: 'sw' }]), route('v', [{ provider: 'espeak', voice: 'sw' }])] }),
    ).toThrow("voices 'v' is defined twice");
  });

  it('refuses an eSpeak voice that eSpeak NG does not have, and accepts its variants', () => {
    expect(load([], { voices: [route('v', [{ provider: 'espeak', voice: 'swahilli' }])] })).toThrow(
      "voices.v.chain[0] names voice 'swahilli', which eSpeak NG does not have",
    );
    expect(load([], { voices: [route('v', [{ provider: 'espeak', voice: 'sw+f3' }])] })()).toBeInstanceOf(AppConfig);
  });

  it('refuses an upstream audio format its kind does not offer, naming the provider, and a PCM rate none offers', () => {
    const upstream = { id: 'up', base_url: 'http://127.0.0.1:9' };
    expect(load([{ ...upstream, kind: 'elevenlabs-compatible', response_format: 'wav' }])).toThrow(
      "up.response_format 'wav' is not offered by elevenlabs-compatible upstreams (pcm, mp3, opus)",
    );
    expect(load([{ ...upstream, kind: 'openai-compatible', response_format: 'pcm', pcm_sample_rate: 11025 }])).toThrow(
      'pcm_sample_rate must be one of the following values',
    );
    expect(load([{ ...upstream, kind: 'elevenlabs-compatible', pcm_sample_rate: 48000 }])()).toBeInstanceOf(AppConfig);
    expect(load([{ ...upstream, kind: 'elevenlabs-compatible', response_format: 'opus' }])()).toBeInstanceOf(AppConfig);
    expect(load([{ ...upstream, kind: 'openai-compatible', response_format: 'ogg' }])).toThrow('response_format');
    expect(load([{ ...upstream, kind: 'openai-compatible', response_format: 'flac' }])()).toBeInstanceOf(AppConfig);
  });

  it('refuses a native (pass-through) format its kind cannot produce, naming the provider and the format; accepts what it offers', () => {
    const upstream = { id: 'up', base_url: 'http://127.0.0.1:9' };
    expect(load([{ ...upstream, kind: 'elevenlabs-compatible', native_formats: ['mp3', 'wav'] }])).toThrow(
      "up.native_formats 'wav' is not offered by elevenlabs-compatible upstreams (pcm, mp3, opus)",
    );
    expect(load([{ ...upstream, kind: 'openai-compatible', native_formats: ['ogg'] }])).toThrow('native_formats');
    const config = load([{ ...upstream, kind: 'openai-compatible', native_formats: ['pcm', 'mp3'] }])();
    expect(ProvidersConfig.nativeFormats(config.providers.find('up')!)).toEqual(['pcm', 'mp3']);
    // Unset, every format the kind offers passes through.
    const open = load([{ ...upstream, kind: 'elevenlabs-compatible' }])();
    expect(ProvidersConfig.nativeFormats(open.providers.find('up')!)).toEqual(['pcm', 'mp3', 'opus']);
  });
});
