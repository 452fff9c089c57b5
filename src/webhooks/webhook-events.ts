import { randomBytes } from 'node:crypto';

/** What an endpoint can subscribe to; an endpoint registered without a list receives all of them. */
export const WEBHOOK_EVENT_TYPES = ['job.succeeded', 'job.failed', 'job.expired', 'account.low_balance'] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * An account event's subject, in a delivery's `job_id` column (which names what the event is about):
 * `low_balance_<crossing id>`, written by the balance trigger (migration UsageAndKeyBudgets).
 */
const LOW_BALANCE_SUBJECT = /^low_balance_(\d{1,18})$/;

/** The low-balance crossing a delivery is about, or undefined for a job's delivery. */
export function lowBalanceCrossingOf(subject: string): string | undefined {
  return LOW_BALANCE_SUBJECT.exec(subject)?.[1];
}

export function isWebhookEventType(value: unknown): value is WebhookEventType {
  return (WEBHOOK_EVENT_TYPES as readonly unknown[]).includes(value);
}

/** A job whose final state an event reports: what the outbox needs to find the tenant's endpoints. */
export interface FinishedJobReference {
  id: string;
  tenantId: string;
}

/** `wh_` and 24 URL-safe characters (144 bits): the endpoint id tenants see. */
export function newEndpointId(): string {
  return `wh_${randomBytes(18).toString('base64url')}`;
}

const ENDPOINT_ID_PATTERN = /^wh_[A-Za-z0-9_-]{24}$/;
const DELIVERY_ID_PATTERN = /^msg_[0-9a-f]{32}$/;

/** Ids that cannot exist are refused before any query (a NUL byte would make PostgreSQL fail). */
export function isEndpointId(value: string): boolean {
  return ENDPOINT_ID_PATTERN.test(value);
}

export function isDeliveryId(value: string): boolean {
  return DELIVERY_ID_PATTERN.test(value);
}
