import { Module } from '@nestjs/common';
import { UsageRepository } from './usage.repository';
import { UsageService } from './usage.service';

/** Usage reports per tenant (docs/usage.md). */
@Module({ providers: [UsageRepository, UsageService], exports: [UsageRepository, UsageService] })
export class UsageModule {}
