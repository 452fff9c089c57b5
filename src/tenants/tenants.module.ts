import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';
import { KeyRateLimitGuard, KeyRateLimits } from './key-rate-limit';
import { RateLimiter } from './rate-limiter';
import { TenantsService } from './tenants.service';

@Module({
  imports: [BillingModule],
  providers: [TenantsService, ApiKeysService, ApiKeyGuard, RateLimiter, KeyRateLimits, KeyRateLimitGuard],
  exports: [TenantsService, ApiKeysService, ApiKeyGuard, RateLimiter, KeyRateLimits, KeyRateLimitGuard],
})
export class TenantsModule {}
