import { Injectable, OnModuleInit, Optional } from '@nestjs/common';
import { HealthRegistry } from '../../health/health-registry';
import { WorkerReports } from '../../jobs/worker-reports';
import type { ReadinessReport } from '../../health/readiness-check';
import { ProviderRegistry } from '../../providers/provider.registry';
import type { TtsProvider } from '../../providers/tts-provider';
import { ProviderStates } from './provider-states';
import { VoiceCatalog } from './voice-catalog';

/**
 * `/health/ready` entries: one per provider (its own health, breaker, last error and latency) and one for
 * the voice catalogue. None is critical: a provider down means fallbacks serve, not that the api is down.
 * Breakers are per process, so each provider also lists how every live worker sees it (`workers`, from
 * their reports in Redis); an open breaker anywhere makes the provider `degraded`.
 */
@Injectable()
export class ProviderHealthChecks implements OnModuleInit {
  constructor(
    private readonly health: HealthRegistry,
    private readonly registry: ProviderRegistry,
    private readonly states: ProviderStates,
    private readonly catalog: VoiceCatalog,
    /** Absent where there is no Redis (the routing module on its own, in tests and benchmarks). */
    @Optional() private readonly workers?: WorkerReports,
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
    // Redis being down is reported by its own check; this one then shows the api's view alone.
    const workers = (await this.workers?.providerStates(provider.id).catch(() => undefined)) ?? {};
    const breakers = [state.breaker, ...Object.values(workers).map((view) => view.breaker)];
    const status =
      reason || own.status === 'down'
        ? 'down'
        : breakers.some((breaker) => breaker !== 'closed') || own.status === 'degraded'
          ? 'degraded'
          : 'up';
    return {
      status,
      kind: provider.kind,
      ...(reason || own.detail ? { detail: reason ?? own.detail } : {}),
      ...(own.voices ? { voices: own.voices } : {}),
      ...state,
      ...(Object.keys(workers).length > 0 ? { workers } : {}),
    };
  }

  private voicesReport(): ReadinessReport {
    const voices = this.catalog.list();
    const status = voices.some((voice) => !voice.available && !voice.servedByFallback)
      ? 'down'
      : voices.some((voice) => !voice.available)
        ? 'degraded'
        : 'up';
    return {
      status,
      voices: Object.fromEntries(
        voices.map((voice) => [
          voice.id,
          {
            available: voice.available,
            servedByFallback: voice.servedByFallback,
            ...(voice.fallbackProvider ? { fallbackProvider: voice.fallbackProvider } : {}),
          },
        ]),
      ),
    };
  }
}
