import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { ServiceRequest } from '../../common/request-context';
import type { TenantLimits } from '../../config/rate-limits.config';
import { RateLimiter, RateLimitRule } from '../../tenants/rate-limiter';
import { TenantsService } from '../../tenants/tenants.service';

/**
 * The per-key counter an endpoint charges. Creates and polls have their own limits (a poll loop must not
 * starve creation, and the profile shows each limit as it applies); other calls count as `requests`.
 */
export type FishLimitedAction = 'job_creates' | 'job_polls' | 'requests';

const FISH_LIMIT = Symbol('FISH_LIMIT');

export const FishRateLimit = (action: FishLimitedAction) => SetMetadata(FISH_LIMIT, action);

/**
 * Per-API-key limits (rate-limits.yaml, tenant overrides) counted in Redis, so all api instances share
 * them. Runs after ApiKeyGuard. Refusals are 429 with Retry-After; Redis down is 503.
 */
@Injectable()
export class FishRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    private readonly tenants: TenantsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<FishLimitedAction | undefined>(FISH_LIMIT, context.getHandler()) ?? 'requests';
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    const principal = request.principal;
    if (!principal) throw new Error('FishRateLimitGuard must run after ApiKeyGuard');
    const own = this.ruleFor(action, this.tenants.limitsOf(await this.tenants.get(principal.tenantId)));
    const decision = await this.limiter.enforce(principal.apiKeyId, [own]);
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('x-ratelimit-limit', String(own.limit));
    response.setHeader('x-ratelimit-remaining', String(decision.remaining[own.bucket]));
    return true;
  }

  private ruleFor(action: FishLimitedAction, limits: TenantLimits): RateLimitRule {
    switch (action) {
      case 'job_creates':
        return { bucket: 'job_creates', limit: limits.job_creates_per_minute };
      case 'job_polls':
        return { bucket: 'job_polls', limit: limits.job_polls_per_minute };
      case 'requests':
        return { bucket: 'requests', limit: limits.requests_per_minute };
    }
  }
}
