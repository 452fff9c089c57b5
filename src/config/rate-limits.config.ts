import { Type } from 'class-transformer';
import { IsInt, Min, ValidateNested } from 'class-validator';

export class TenantLimits {
  /** Authenticated requests per API key per minute, all endpoints. */
  @IsInt()
  @Min(1)
  requests_per_minute = 600;

  /** Job or task creations per API key per minute. */
  @IsInt()
  @Min(1)
  job_creates_per_minute = 120;

  /** Job or task status polls per API key per minute. */
  @IsInt()
  @Min(1)
  job_polls_per_minute = 1200;

  /** Queued + running jobs a tenant may have at once. */
  @IsInt()
  @Min(1)
  max_active_jobs = 20;
}

/** A tenant row's own limits (null = use the default). */
export interface TenantLimitOverrides {
  requestsPerMinute: number | null;
  jobCreatesPerMinute: number | null;
  jobPollsPerMinute: number | null;
  maxActiveJobs: number | null;
}

/** The tenant's own limits where set, the configured defaults otherwise. */
export function effectiveLimits(overrides: TenantLimitOverrides, defaults: TenantLimits): TenantLimits {
  return {
    requests_per_minute: overrides.requestsPerMinute ?? defaults.requests_per_minute,
    job_creates_per_minute: overrides.jobCreatesPerMinute ?? defaults.job_creates_per_minute,
    job_polls_per_minute: overrides.jobPollsPerMinute ?? defaults.job_polls_per_minute,
    max_active_jobs: overrides.maxActiveJobs ?? defaults.max_active_jobs,
  };
}

/** `config/rate-limits.yaml`: defaults for every tenant; a tenant row may override them. */
export class RateLimitsConfig {
  @ValidateNested()
  @Type(() => TenantLimits)
  defaults: TenantLimits = new TenantLimits();
}
