import { TtsError } from '../../../src/common/tts-error';
import { DEFAULT_VOICE_SETTINGS } from '../../../src/common/voice-settings';
import type { SynthesisRequest } from '../../../src/synthesis/synthesis-request';
import type { ScriptableUpstream } from '../../fakes/scriptable-upstream';
import { rejectionOf } from '../../support/rejection';

/** A short Swahili synthesis request on `route`, as a face would build it. */
export function routeRequest(route: string, extra: Partial<SynthesisRequest> = {}): SynthesisRequest {
  return {
    text: 'Habari za asubuhi.',
    characters: 18,
    route,
    fallbacks: [],
    settings: { ...DEFAULT_VOICE_SETTINGS },
    format: 'wav',
    ...extra,
  };
}

/** The TtsError a synthesis fails with. */
export const failure = (promise: Promise<unknown>): Promise<TtsError> => rejectionOf(promise, TtsError);

/** providers.yaml + routes.yaml for the routing tests: every HTTP provider points at a scriptable fake. */
export function routingTestFiles(fakes: {
  primary: ScriptableUpstream;
  secondary: ScriptableUpstream;
  eleven: ScriptableUpstream;
  peer: ScriptableUpstream;
}) {
  return {
    'providers.yaml': {
      providers: [
        { id: 'vits', kind: 'vits' },
        { id: 'espeak', kind: 'espeak', timeout_ms: 10000 },
        {
          id: 'primary',
          kind: 'openai-compatible',
          base_url: fakes.primary.url,
          api_key_env: 'PRIMARY_KEY',
          timeout_ms: 1000,
          response_format: 'wav',
          default_voice: 'alloy',
          model_map: { 'tts-hd': 'upstream-hd-2' },
          voice_map: { narrator: 'onyx' },
        },
        {
          id: 'secondary',
          kind: 'openai-compatible',
          base_url: fakes.secondary.url,
          timeout_ms: 1000,
          response_format: 'pcm',
          pcm_sample_rate: 24000,
          default_voice: 'alloy',
        },
        {
          id: 'eleven',
          kind: 'elevenlabs-compatible',
          base_url: fakes.eleven.url,
          api_key_env: 'ELEVEN_KEY',
          models: ['eleven_multilingual_v2'],
          pcm_sample_rate: 16000,
        },
        { id: 'peer', kind: 'sauti', base_url: fakes.peer.url, api_key_env: 'PEER_KEY', max_text_length: 10000 },
        { id: 'keyless', kind: 'openai-compatible', base_url: fakes.secondary.url, api_key_env: 'ROUTING_TEST_UNSET_KEY' },
        { id: 'dead', kind: 'openai-compatible', base_url: 'http://127.0.0.1:9', timeout_ms: 1000 },
      ],
      retry: { max_retries: 2, base_delay_ms: 10, max_delay_ms: 40, max_retry_after_ms: 2000 },
      breaker: { failure_threshold: 3, window_ms: 10000, cooldown_ms: 300 },
      http: { connect_timeout_ms: 500, max_response_bytes: 1024 * 1024, max_same_host_redirects: 2 },
    },
    'routes.yaml': {
      voices: [
        {
          id: 'sauti-swahili-v1',
          name: 'Sauti Swahili',
          language: 'sw',
          sample_rate: 16000,
          chain: [
            { provider: 'vits', voice: 'sauti-swahili-v1' },
            { provider: 'espeak', voice: 'sw' },
          ],
        },
        {
          id: 'duo',
          name: 'Two upstreams',
          language: 'en',
          sample_rate: 16000,
          chain: [
            { provider: 'primary', voice: 'alloy', model: 'tts-1', timeout_ms: 300 },
            { provider: 'secondary', voice: 'nova', model: 'tts-1' },
          ],
        },
      ],
      models: [],
      implicit_sample_rate: 24000,
    },
  };
}

export const TEST_SECRETS = { PRIMARY_KEY: 'sk-primary-test', ELEVEN_KEY: 'xi-eleven-test', PEER_KEY: 'sauti-peer-test' };
