import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { Principal, ServiceRequest } from '../../common/request-context';
import { assertUnreachable } from '../../common/tts-error';
import type { TenantLimits } from '../../config/rate-limits.config';
import { RateLimiter, RateLimitRule } from '../../tenants/rate-limiter';
import { TenantsService } from '../../tenants/tenants.service';

/** Which per-key counter of rate-limits.yaml a Sauti endpoint charges. */
export type SautiLimitedAction = 'requests' | 'job_creates' | 'job_polls';

const SAUTI_LIMIT = Symbol('SAUTI_LIMIT');

export const SautiRateLimit = (action: SautiLimitedAction) => SetMetadata(SAUTI_LIMIT, action);

/** Charging one counter, shared by the guard and the text-to-speech branch that turns into a job. */
@Injectable()
export class SautiRateLimits {
  constructor(
    private readonly limiter: RateLimiter,
    private readonly tenants: TenantsService,
  ) {}

  async charge(principal: Pick<Principal, 'tenantId' | 'apiKeyId'>, action: SautiLimitedAction, response?: Response): Promise<void> {
    const rule = ruleFor(action, this.tenants.limitsOf(await this.tenants.get(principal.tenantId)));
    const decision = await this.limiter.enforce(principal.apiKeyId, [rule]);
    response?.setHeader('x-ratelimit-limit', String(rule.limit));
    response?.setHeader('x-ratelimit-remaining', String(decision.remaining[rule.bucket]));
  }
}

/**
 * Per-API-key limits counted in Redis (shared by every api instance and every face using the same
 * buckets). Runs after ApiKeyGuard. A refusal is `rate_limited`: 429 with Retry-After as a problem.
 */
@Injectable()
export class SautiRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: SautiRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<SautiLimitedAction | undefined>(SAUTI_LIMIT, context.getHandler()) ?? 'requests';
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    if (!request.principal) throw new Error('SautiRateLimitGuard must run after ApiKeyGuard');
    await this.limits.charge(request.principal, action, context.switchToHttp().getResponse<Response>());
    return true;
  }
}

function ruleFor(action: SautiLimitedAction, limits: TenantLimits): RateLimitRule {
  switch (action) {
    case 'requests':
      return { bucket: 'requests', limit: limits.requests_per_minute };
    case 'job_creates':
      return { bucket: 'job_creates', limit: limits.job_creates_per_minute };
    case 'job_polls':
      return { bucket: 'job_polls', limit: limits.job_polls_per_minute };
    default:
      return assertUnreachable(action);
  }
}
