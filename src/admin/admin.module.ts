import { Module } from '@nestjs/common';
import { JobsModule } from '../jobs/jobs.module';
import { AdminAccess } from './auth/admin-access';
import { AdminAuthGuard } from './auth/admin-auth.guard';
import { AdminSessionController } from './auth/admin-session.controller';
import { AdminSessions } from './auth/admin-sessions';
import { AdminFailuresController } from './failures/admin-failures.controller';
import { AdminFailuresService } from './failures/admin-failures.service';
import { RequestFailureStore } from './failures/request-failure.store';
import { MetricsHistoryReader } from './history/metrics-history.reader';
import { AdminOverviewController } from './overview/admin-overview.controller';
import { AdminOverviewService } from './overview/admin-overview.service';
import { ApiProcessReports } from './overview/api-process-reports';
import { AdminTenantsController } from './tenants/admin-tenants.controller';
import { AdminTenantsService } from './tenants/admin-tenants.service';
import { TenantSpendReader } from './tenants/tenant-spend.reader';
import { AdminTryController } from './try/admin-try.controller';
import { AdminTryService } from './try/admin-try.service';

/**
 * The admin API under /admin/v1 that the ops dashboard (/dashboard) and scripts use: api process only.
 * Off (404, and nothing read) until ADMIN_TOKEN, ADMIN_TOKEN_SHA256 or an admin key exists.
 */
@Module({
  imports: [JobsModule],
  controllers: [AdminSessionController, AdminOverviewController, AdminTenantsController, AdminFailuresController, AdminTryController],
  providers: [
    AdminAccess,
    AdminSessions,
    AdminAuthGuard,
    AdminOverviewService,
    ApiProcessReports,
    MetricsHistoryReader,
    AdminTenantsService,
    TenantSpendReader,
    AdminFailuresService,
    RequestFailureStore,
    AdminTryService,
  ],
})
export class AdminModule {}
