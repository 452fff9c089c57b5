import { DynamicModule, Module } from '@nestjs/common';
import { ErrorsModule } from './common/errors/errors.module';
import { FishModule } from './faces/fish/fish.module';
import { AppConfig } from './config/app-config';
import { SautiModule } from './faces/sauti/sauti.module';
import { BifrostModule } from './faces/bifrost/bifrost.module';
import { OpenAiModule } from './faces/openai/openai.module';
import { ElevenLabsModule } from './faces/elevenlabs/elevenlabs.module';
import { CoreModule } from './core.module';
import { HealthModule } from './health/health.module';
import { BullmqRootModule } from './jobs/bullmq-root.module';
import { JobsApiModule } from './jobs/jobs-api.module';
import { JobsModule } from './jobs/jobs.module';
import { MetricsHistoryModule } from './metrics/metrics-history.recorder';
import { MetricsHttpModule, MetricsModule } from './metrics/metrics.module';
import { AdminModule } from './admin/admin.module';
import { AccountController } from './tenants/account.controller';
import { WebhooksApiModule } from './webhooks/webhooks-api.module';
import { LowBalanceMetrics } from './usage/low-balance.metrics';

/** The HTTP api process: faces, health, metrics, the admin API and dashboard. No job processors run here. */
@Module({})
export class ApiModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: ApiModule,
      imports: [
        CoreModule.forRoot(config),
        ErrorsModule,
        BullmqRootModule.forRole('producer'),
        HealthModule,
        MetricsModule,
        MetricsHttpModule,
        JobsModule,
        JobsApiModule,
        WebhooksApiModule,
        SautiModule,
        FishModule,
        BifrostModule,
        OpenAiModule,
        ElevenLabsModule,
        MetricsHistoryModule,
        AdminModule,
      ],
      controllers: [AccountController],
      providers: [LowBalanceMetrics],
    };
  }
}
