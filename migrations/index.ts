import { Foundation1763780000000 } from './1763780000000-foundation';
import { SynthesisJobs1763790000000 } from './1763790000000-synthesis-jobs';
import { JobResultSegments1763800000000 } from './1763800000000-job-result-segments';
import { CreditFunctions1763810000000 } from './1763810000000-credit-functions';
import { CreateJobFunction1763820000000 } from './1763820000000-create-job-function';
import { CreditHolds1763830000000 } from './1763830000000-credit-holds';
import { MaintenanceRuns1763831000000 } from './1763831000000-maintenance-runs';
import { Webhooks1763840000000 } from './1763840000000-webhooks';
import { AdminDashboard1763860000000 } from './1763860000000-admin-dashboard';
import { AudioCache1763880000000 } from './1763880000000-audio-cache';
import { UsageAndKeyBudgets1763890000000 } from './1763890000000-usage-and-key-budgets';
import { CacheHitInOneStatement1763900000000 } from './1763900000000-cache-hit-in-one-statement';
import { BillingHelpersInPlpgsql1763910000000 } from './1763910000000-billing-helpers-in-plpgsql';
import { CacheStoreReplacesExpired1763920000000 } from './1763920000000-cache-store-replaces-expired';
import { CacheHitRefund1763930000000 } from './1763930000000-cache-hit-refund';

/** Every migration, oldest first. Listed explicitly so ts-jest and the compiled build load the same set. */
export const MIGRATIONS = [
  Foundation1763780000000,
  SynthesisJobs1763790000000,
  JobResultSegments1763800000000,
  CreditFunctions1763810000000,
  CreateJobFunction1763820000000,
  CreditHolds1763830000000,
  MaintenanceRuns1763831000000,
  Webhooks1763840000000,
  AdminDashboard1763860000000,
  AudioCache1763880000000,
  UsageAndKeyBudgets1763890000000,
  CacheHitInOneStatement1763900000000,
  BillingHelpersInPlpgsql1763910000000,
  CacheStoreReplacesExpired1763920000000,
  CacheHitRefund1763930000000,
];
