import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { AccountService } from './account.service';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';
import { KeyRateLimitGuard, KeyRateLimits } from './key-rate-limit';
import { RateLimitLeases } from './rate-limit-leases';
import { RateLimiter } from './rate-limiter';
import { TenantsService } from './tenants.service';

@Module({
  imports: [BillingModule],
  providers: [AccountService, TenantsService, ApiKeysService, ApiKeyGuard, RateLimiter, RateLimitLeases, KeyRateLimits, KeyRateLimitGuard],
  exports: [AccountService, TenantsService, ApiKeysService, ApiKeyGuard, RateLimiter, RateLimitLeases, KeyRateLimits, KeyRateLimitGuard],
})
export class TenantsModule {}
