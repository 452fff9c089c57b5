import { Type } from 'class-transformer';
import { IsInt, Min, ValidateNested } from 'class-validator';

export class TenantLimits {
  /** Authenticated requests per API key per minute, all endpoints. */
  @IsInt() @Min(1)
  requests_per_minute = 600;

  /** Job or task creations per API key per minute. */
  @IsInt() @Min(1)
  job_creates_per_minute = 120;

  /** Job or task status polls per API key per minute. */
  @IsInt() @Min(1)
  job_polls_per_minute = 1200;

  /** Queued + running jobs a tenant may have at once. */
  @IsInt() @Min(1)
  max_active_jobs = 20;
}

/** `config/rate-limits.yaml`: defaults for every tenant; a tenant row may override them. */
export class RateLimitsConfig {
  @ValidateNested() @Type(() => TenantLimits)
  defaults: TenantLimits = new TenantLimits();
}
