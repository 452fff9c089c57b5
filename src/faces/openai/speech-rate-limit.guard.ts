import { CanActivate, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { ServiceRequest } from '../../common/request-context';
import { assertUnreachable } from '../../common/tts-error';
import type { TenantLimits } from '../../config/rate-limits.config';
import { RateLimiter, RateLimitRule } from '../../tenants/rate-limiter';
import { TenantsService } from '../../tenants/tenants.service';

/** The per-key counter an endpoint of the OpenAI and Bifrost faces charges (rate-limits.yaml). */
export type SpeechLimitedAction = 'job_creates' | 'job_polls' | 'requests';

const SPEECH_LIMIT = Symbol('SPEECH_LIMIT');

export const SpeechRateLimit = (action: SpeechLimitedAction) => SetMetadata(SPEECH_LIMIT, action);

/**
 * Per-API-key limits counted in Redis (shared by every api instance and every face using the same
 * buckets). Runs after ApiKeyGuard; a refusal is `rate_limited` (429 with Retry-After) in the face's
 * envelope, and the limit and what is left are sent as `x-ratelimit-limit` / `x-ratelimit-remaining`.
 */
@Injectable()
export class SpeechRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limiter: RateLimiter,
    private readonly tenants: TenantsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<SpeechLimitedAction | undefined>(SPEECH_LIMIT, context.getHandler()) ?? 'requests';
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    const principal = request.principal;
    if (!principal) throw new Error('SpeechRateLimitGuard must run after ApiKeyGuard');
    const rule = ruleFor(action, this.tenants.limitsOf(await this.tenants.get(principal.tenantId)));
    const decision = await this.limiter.enforce(principal.apiKeyId, [rule]);
    const response = context.switchToHttp().getResponse<Response>();
    response.setHeader('x-ratelimit-limit', String(rule.limit));
    response.setHeader('x-ratelimit-remaining', String(decision.remaining[rule.bucket]));
    return true;
  }
}

function ruleFor(action: SpeechLimitedAction, limits: TenantLimits): RateLimitRule {
  switch (action) {
    case 'job_creates':
      return { bucket: 'job_creates', limit: limits.job_creates_per_minute };
    case 'job_polls':
      return { bucket: 'job_polls', limit: limits.job_polls_per_minute };
    case 'requests':
      return { bucket: 'requests', limit: limits.requests_per_minute };
    default:
      return assertUnreachable(action);
  }
}
