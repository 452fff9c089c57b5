import type { AppConfig } from '../config/app-config';
import type { ProviderEntry } from '../config/providers.config';
import { ElevenLabsCompatibleProvider } from './elevenlabs-compatible/elevenlabs-compatible.provider';
import { EspeakProvider } from './espeak/espeak.provider';
import type { UpstreamTools } from './http/upstream-provider.base';
import { OpenAiCompatibleProvider } from './openai-compatible/openai-compatible.provider';
import { SautiProvider } from './sauti/sauti.provider';
import type { ProviderCapabilities, ProviderHealth, TtsProvider } from './tts-provider';
import { assertUnreachable } from '../common/tts-error';
import { TtsError } from '../common/tts-error';

/** Stands in for an engine whose module is not part of this build, so routes fall through to the next target. */
export class AbsentEngineProvider implements TtsProvider {
  constructor(
    readonly id: string,
    readonly kind: 'vits',
    private readonly reason: string,
  ) {}

  capabilities(): ProviderCapabilities {
    return { voices: [], maxTextLength: 0, fields: { voice: false, speed: [1, 1], instructions: false, language: false } };
  }
  supports(): boolean {
    return true;
  }
  unavailableReason(): string {
    return this.reason;
  }
  async synthesize(): Promise<never> {
    throw new TtsError('provider_unavailable', `${this.id}: ${this.reason}`, { details: { provider: this.id } });
  }
  async checkHealth(): Promise<ProviderHealth> {
    return { status: 'down', detail: this.reason };
  }
  audioIdentity(): undefined {
    return undefined;
  }
}

/**
 * Builds every provider of providers.yaml, in config order. Local engines built elsewhere (VITS) are
 * passed in by id; an entry whose engine is missing becomes an AbsentEngineProvider reported down.
 */
export function buildProviders(config: AppConfig, upstream: UpstreamTools, engines: Map<string, TtsProvider>): TtsProvider[] {
  return config.providers.providers.map((entry) => buildOne(config, entry, upstream, engines));
}

function buildOne(config: AppConfig, entry: ProviderEntry, upstream: UpstreamTools, engines: Map<string, TtsProvider>): TtsProvider {
  const key = config.upstreamKeys.get(entry.id);
  switch (entry.kind) {
    case 'vits':
      return engines.get(entry.id) ?? new AbsentEngineProvider(entry.id, 'vits', 'the VITS engine module is not loaded');
    case 'espeak':
      return new EspeakProvider(entry);
    case 'openai-compatible':
      return new OpenAiCompatibleProvider(entry, key, upstream);
    case 'elevenlabs-compatible':
      return new ElevenLabsCompatibleProvider(entry, key, upstream);
    case 'sauti':
      return new SautiProvider(entry, key, upstream);
    default:
      return assertUnreachable(entry.kind);
  }
}
