import { createHash, randomBytes } from 'node:crypto';
import type { FaceName, SynthesisRequest } from '../synthesis/synthesis-request';

/** `job_` and 20 characters of [a-z0-9]: URL-safe, unguessable (120 bits). */
export function newJobId(): string {
  return `job_${randomBytes(15)
    .toString('base64url')
    .replace(/[-_]/g, (c) => (c === '-' ? 'x' : 'z'))
    .toLowerCase()}`;
}

/**
 * What any job id this service issued looks like (the column is varchar(40)). Anything else (a NUL
 * byte, a path, a thousand characters) cannot name a job, so it is answered as unknown without a query.
 */
const POSSIBLE_JOB_ID = /^job_[a-z0-9]{1,36}$/;

export function isPossibleJobId(id: string): boolean {
  return POSSIBLE_JOB_ID.test(id);
}

function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * Same body → same hash, whatever the key order: what an Idempotency-Key is compared on. The
 * `Cache-Control` directive is a header, not the body: a retry that adds `no-store` is the same job.
 */
export function requestHash(face: FaceName, request: SynthesisRequest, resultTtlSeconds: number): string {
  return createHash('sha256')
    .update(canonical({ face, request: { ...request, cache: undefined }, resultTtlSeconds }))
    .digest('hex');
}
