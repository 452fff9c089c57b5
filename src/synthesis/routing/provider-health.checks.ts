import { Injectable, OnModuleInit } from '@nestjs/common';
import { HealthRegistry } from '../../health/health-registry';
import type { ReadinessReport } from '../../health/readiness-check';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { TtsProvider } from '../../providers/tts-provider';
import { ProviderStates } from './provider-states';
import { VoiceCatalog } from './voice-catalog';

/**
 * `/health/ready` entries: one per provider (its own health, breaker, last error and latency) and one for
 * the voice catalogue. None is critical: a provider down means fallbacks serve, not that the api is down.
 */
@Injectable()
export class ProviderHealthChecks implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    private readonly registry: ProviderRegistry,
    private readonly states: ProviderStates,
    private readonly catalog: VoiceCatalog,
  ) {}

  onModuleInit(): void {
    for (const provider of this.registry.all()) {
      this.health.register({ key: `provider:${provider.id}`, critical: false, check: () => this.providerReport(provider) });
    }
    // 'voices' is VITS's own check (model files); this one is the routing view of the catalogue.
    this.health.register({ key: 'catalog', critical: false, check: async () => this.voicesReport() });
  }

  private async providerReport(provider: TtsProvider): Promise<ReadinessReport> {
    const reason = this.registry.unavailableReason(provider);
    const own = await provider.checkHealth();
    const state = this.states.snapshot(provider.id);
    const status = reason || own.status === 'down' ? 'down' : state.breaker !== 'closed' || own.status === 'degraded' ? 'degraded' : 'up';
    return {
      status,
      kind: provider.kind,
      ...(reason || own.detail ? { detail: reason ?? own.detail } : {}),
      ...(own.voices ? { voices: own.voices } : {}),
      ...state,
    };
  }

  private voicesReport(): ReadinessReport {
    const voices = this.catalog.list();
    const status = voices.some((voice) => !voice.available && !voice.servedByFallback) ? 'down' : voices.some((voice) => !voice.available) ? 'degraded' : 'up';
    return {
      status,
      voices: Object.fromEntries(
        voices.map((voice) => [voice.id, { available: voice.available, servedByFallback: voice.servedByFallback, ...(voice.fallbackProvider ? { fallbackProvider: voice.fallbackProvider } : {}) }]),
      ),
    };
  }
}
