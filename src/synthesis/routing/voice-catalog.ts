import { Injectable } from '@nestjs/common';
import type { RouteEntry, RouteTargetEntry } from '../../config/routes.config';
import { ProviderRegistry } from '../../providers/provider.registry';
import { ProviderStates } from './provider-states';
import { RouteResolver } from './route-resolver';
import type { CatalogVoice } from '../speech.types';

/** The catalogue voices of routes.yaml and, without any I/O, whether each can be served now and by whom. */
@Injectable()
export class VoiceCatalog {
  constructor(
    private readonly resolver: RouteResolver,
    private readonly registry: ProviderRegistry,
    private readonly states: ProviderStates,
  ) {}

  list(): CatalogVoice[] {
    return this.resolver.catalogue().map((entry) => this.describe(entry));
  }

  get(id: string): CatalogVoice | undefined {
    const entry = this.resolver.catalogue().find((voice) => voice.id === id);
    return entry ? this.describe(entry) : undefined;
  }

  /** Whether a target can be tried now: configured, its voice loaded, its breaker letting calls (or a probe) through. */
  servable(target: Pick<RouteTargetEntry, 'provider' | 'voice'>): boolean {
    const provider = this.registry.get(target.provider);
    if (!provider || this.registry.voiceUnavailableReason(provider, target.voice)) return false;
    return this.states.breaker(provider.id).acceptsCalls;
  }

  /** A local engine's declared rate (VITS knows its model's), else the rate the provider last answered at. */
  private nativeRate(providerId: string, voice: string): number | undefined {
    const provider = this.registry.get(providerId) as { sampleRateOf?: (voice: string) => number | undefined } | undefined;
    return (
      (typeof provider?.sampleRateOf === 'function' ? provider.sampleRateOf(voice) : undefined) ??
      this.states.nativeSampleRate(providerId, voice)
    );
  }

  private describe(entry: RouteEntry): CatalogVoice {
    const [first, ...rest] = entry.chain;
    const available = this.servable(first);
    const fallback = available ? undefined : rest.find((target) => this.servable(target));
    const nativeRate = this.nativeRate(first.provider, first.voice);
    return {
      id: entry.id,
      name: entry.name ?? entry.id,
      language: entry.language ?? 'und',
      sampleRate: entry.sample_rate,
      engine: this.registry.get(first.provider)?.kind ?? first.provider,
      available,
      servedByFallback: fallback !== undefined,
      ...(fallback ? { fallbackProvider: fallback.provider } : {}),
      testVoice: entry.test_voice,
      ...(nativeRate !== undefined && nativeRate !== entry.sample_rate ? { modelSampleRate: nativeRate } : {}),
    };
  }
}
