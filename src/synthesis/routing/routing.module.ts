import { Module } from '@nestjs/common';
import { MetricsModule } from '../../metrics/metrics.module';
import { ProvidersModule } from '../../providers/providers.module';
import { ProviderHealthChecks } from './provider-health.checks';
import { ProviderStates } from './provider-states';
import { RouteResolver } from './route-resolver';
import { RoutingMetrics } from './routing.metrics';
import { SynthesisRouter } from './synthesis.router';
import { VoiceCatalog } from './voice-catalog';

/** Routing for both processes: the api synthesizes sync requests, the worker synthesizes jobs. */
@Module({
  imports: [ProvidersModule, MetricsModule],
  providers: [RouteResolver, ProviderStates, RoutingMetrics, SynthesisRouter, VoiceCatalog, ProviderHealthChecks],
  exports: [SynthesisRouter, VoiceCatalog, ProviderStates, ProvidersModule],
})
export class RoutingModule {}
