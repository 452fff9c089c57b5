import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { DependencyChecks } from './dependency.checks';
import { HealthController } from './health.controller';
import { HealthRegistry } from './health-registry';

/** The registry every process has, so any module can add its checks whether or not it serves HTTP. */
@Global()
@Module({ providers: [HealthRegistry, DependencyChecks], exports: [HealthRegistry] })
export class HealthRegistryModule {}

/** `/health/live` and `/health/ready`, api process only. */
@Module({
  imports: [HealthRegistryModule, TerminusModule.forRoot({ errorLogStyle: 'json', logger: false })],
  controllers: [HealthController],
})
export class HealthModule {}
