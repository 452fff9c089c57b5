import { DynamicModule, Module } from '@nestjs/common';
import { AdminKeysModule } from './admin/auth/admin-keys.module';
import { BillingModule } from './billing/billing.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { DatabaseModule } from './database/database.module';
import { HealthRegistryModule } from './health/health.module';
import { WorkerReportsModule } from './jobs/worker-reports';
import { LoggingModule } from './logging/logging.module';
import { RedisModule } from './redis/redis.module';
import { TenantsModule } from './tenants/tenants.module';
import { UsageModule } from './usage/usage.module';

/** What every process (api, worker, cli) is built on. */
@Module({})
export class CoreModule {
  static forRoot(config: AppConfig): DynamicModule {
    const modules = [
      ConfigModule.forRoot(config),
      LoggingModule,
      DatabaseModule,
      RedisModule,
      WorkerReportsModule,
      HealthRegistryModule,
      BillingModule,
      TenantsModule,
      UsageModule,
      AdminKeysModule,
    ];
    return { module: CoreModule, global: true, imports: modules, exports: modules };
  }
}
