import { CanActivate, createParamDecorator, ExecutionContext, Injectable, SetMetadata } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Response } from 'express';
import type { Principal, ServiceRequest } from '../common/request-context';
import { assertUnreachable } from '../common/tts-error';
import type { TenantLimits } from '../config/rate-limits.config';
import { RateLimitLeases } from './rate-limit-leases';
import type { RateLimitRule } from './rate-limiter';

/**
 * The per-key counter an endpoint charges (config/rate-limits.yaml, tenant overrides). Creates and
 * polls have their own counters, so a client's poll loop never starves its job creation.
 */
export type LimitedAction = 'requests' | 'job_creates' | 'job_polls';

const RATE_LIMIT_ACTION = Symbol('RATE_LIMIT_ACTION');
const CHARGED_BY_HANDLER = 'charged_by_handler';
const AWAITED_BY_PARAMETER = Symbol('AWAITED_BY_PARAMETER');

/** Marks a handler with the counter KeyRateLimitGuard charges; unmarked handlers charge `requests`. */
export const RateLimit = (action: LimitedAction) => SetMetadata(RATE_LIMIT_ACTION, action);

/**
 * Marks a handler that charges its counter itself (KeyRateLimits.charge), once it knows the request
 * does what the counter counts: job creation, where an idempotent replay creates nothing and so
 * costs nothing. The guard charges nothing for it.
 */
export const RateLimitedByHandler = () => SetMetadata(RATE_LIMIT_ACTION, CHARGED_BY_HANDLER);

const admissionOf = createParamDecorator((_data: unknown, context: ExecutionContext): Promise<void> | undefined => {
  const { admission, admittedAhead } = context.switchToHttp().getRequest<ServiceRequest>();
  if (!admission) throw new Error('@Admitted() needs KeyRateLimitGuard on its handler');
  return admittedAhead ? undefined : admission;
});

/** How an @Admitted() handler takes the rate limit's answer. */
export interface AdmittedOptions {
  /**
   * The handler may start before the answer when the key is known to have room (RateLimitLeases.mayRunAhead):
   * it then passes `request.admission` on (SpeechCaller.admission), and the speech is not delivered or
   * charged before the limit lets it through. Only for handlers whose every path does that.
   */
  ahead?: boolean;
}

/**
 * A handler parameter for the key's rate limit (`@Admitted() _admitted: void`). With it, KeyRateLimitGuard
 * starts the limit's Redis call and lets the request on instead of waiting: Nest resolves a handler's
 * parameters together, so Nest's own steps and the body's validation pipe run while Redis answers, and
 * the handler runs only once the limit has let the request through. A refusal is the same error, in the
 * face's envelope. A request that the pipe refuses is answered with its validation error even when it is
 * over its limit (it is counted either way). For the speech endpoints, whose first byte waited for
 * Redis before anything else (docs/architecture.md, request flow). With `ahead`, see AdmittedOptions.
 */
export function Admitted(options: AdmittedOptions = {}): ParameterDecorator {
  return (target, key, index) => {
    Reflect.defineMetadata(AWAITED_BY_PARAMETER, options.ahead ? 'ahead' : true, (target as Record<string | symbol, object>)[key!]);
    admissionOf()(target, key, index);
  };
}

function ruleFor(action: LimitedAction, limits: TenantLimits): RateLimitRule {
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

/**
 * Charges one per-key counter in Redis (shared by every api instance and every face; a busy key's
 * requests are counted a few at a time, RateLimitLeases). A refusal is
 * TtsError `rate_limited` with Retry-After, Redis down is `service_unavailable`: each face renders them.
 */
@Injectable()
export class KeyRateLimits {
  constructor(private readonly leases: RateLimitLeases) {}

  async charge(principal: Pick<Principal, 'apiKeyId' | 'limits'>, action: LimitedAction, response?: Response): Promise<void> {
    const rule = ruleFor(action, principal.limits);
    const remaining = await this.leases.take(principal.apiKeyId, rule);
    if (response?.headersSent) return; // answered meanwhile (a request refused by its validation, see Admitted)
    response?.setHeader('x-ratelimit-limit', String(rule.limit));
    response?.setHeader('x-ratelimit-remaining', String(remaining));
  }

  /** Whether a request of this key may start its work before `charge` has its answer (RateLimitLeases.mayRunAhead). */
  mayRunAhead(principal: Pick<Principal, 'apiKeyId' | 'limits'>, action: LimitedAction): boolean {
    return this.leases.mayRunAhead(principal.apiKeyId, ruleFor(action, principal.limits));
  }
}

/** Runs after ApiKeyGuard and charges the handler's counter (see RateLimit). */
@Injectable()
export class KeyRateLimitGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly limits: KeyRateLimits,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const action = this.reflector.get<LimitedAction | typeof CHARGED_BY_HANDLER | undefined>(RATE_LIMIT_ACTION, context.getHandler());
    if (action === CHARGED_BY_HANDLER) return true;
    const request = context.switchToHttp().getRequest<ServiceRequest>();
    if (!request.principal) throw new Error('KeyRateLimitGuard must run after ApiKeyGuard');
    const admission = this.limits.charge(request.principal, action ?? 'requests', context.switchToHttp().getResponse<Response>());
    const awaited = this.reflector.get<boolean | 'ahead' | undefined>(AWAITED_BY_PARAMETER, context.getHandler());
    if (awaited) {
      // A refusal reaches the client through the handler's @Admitted() parameter, or the speech it runs ahead.
      admission.catch(() => undefined);
      request.admission = admission;
      request.admittedAhead = awaited === 'ahead' && this.limits.mayRunAhead(request.principal, action ?? 'requests');
      return true;
    }
    await admission;
    return true;
  }
}
