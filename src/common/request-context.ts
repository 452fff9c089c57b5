import type { Request } from 'express';
import type { TenantLimits } from '../config/rate-limits.config';

/** The caller behind an authenticated request. */
export interface Principal {
  tenantId: string;
  tenantName: string;
  apiKeyId: string;
  /** The tenant's rate limits, read with the key (and cached with it), so limiting costs no query. */
  limits: TenantLimits;
}

/** What this service attaches to each Express request. */
export interface ServiceRequest extends Request {
  id: string;
  startedAt: bigint;
  principal?: Principal;
  /** The key's rate limit, under way while the request is validated (KeyRateLimitGuard, `@Admitted()`). */
  admission?: Promise<void>;
  /** The handler runs before `admission` has its answer, and hands it on to the speech (`@Admitted({ ahead: true })`). */
  admittedAhead?: boolean;
}

/** The rate limit a handler admitted ahead hands on to the speech (SpeechCaller.admission); undefined once the handler waited for it. */
export function pendingAdmission(request: Pick<ServiceRequest, 'admission' | 'admittedAhead'>): { admission?: Promise<void> } {
  return request.admittedAhead && request.admission ? { admission: request.admission } : {};
}

/** `work`'s result, or its error (thrown or rejected); but when `admission` (a rate limit still being decided) refuses the request, that refusal is the answer. */
export async function answeredAfterAdmission<T>(admission: Promise<void> | undefined, work: () => T | Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    await admission;
    throw error;
  }
}

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/** A client-supplied request id is echoed only when it is short and plain; otherwise a new one is made. */
export function acceptableRequestId(value: unknown): string | undefined {
  return typeof value === 'string' && REQUEST_ID_PATTERN.test(value) ? value : undefined;
}
