import { Module } from '@nestjs/common';
import { BillingModule } from '../billing/billing.module';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';
import { TenantsService } from './tenants.service';

@Module({
  imports: [BillingModule],
  providers: [TenantsService, ApiKeysService, ApiKeyGuard],
  exports: [TenantsService, ApiKeysService, ApiKeyGuard],
})
export class TenantsModule {}
