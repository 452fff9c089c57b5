import { AdminKeyEntity } from '../admin/auth/admin-key.entity';
import { CreditLedgerEntity } from '../billing/credit-ledger.entity';
import { SynthesisJobEntity } from '../jobs/synthesis-job.entity';
import { ApiKeyEntity } from '../tenants/api-key.entity';
import { TenantEntity } from '../tenants/tenant.entity';

/** Every TypeORM entity; later modules append theirs here. */
export const ENTITIES = [TenantEntity, ApiKeyEntity, CreditLedgerEntity, SynthesisJobEntity, AdminKeyEntity];
