import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { AccountService } from './account.service';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';
import { KeyRateLimitGuard, KeyRateLimits } from './key-rate-limit';
import { RateLimiter } from './rate-limiter';
import { TenantsService } from './tenants.service';

@Module({
  imports: [BillingModule],
  providers: [AccountService, TenantsService, ApiKeysService, ApiKeyGuard, RateLimiter, KeyRateLimits, KeyRateLimitGuard],
  exports: [AccountService, TenantsService, ApiKeysService, ApiKeyGuard, RateLimiter, KeyRateLimits, KeyRateLimitGuard],
})
export class TenantsModule {}
