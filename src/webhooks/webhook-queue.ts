import type { Queue } from 'bullmq';

/** The BullMQ queue of delivery attempts (keys under QUEUE_PREFIX like the others). */
export const WEBHOOK_QUEUE = 'webhooks';
/** The custom backoff strategy's name (see webhookBackoff). */
export const WEBHOOK_BACKOFF = 'webhook-schedule';
/**
 * BullMQ's own attempt limit is only a backstop: the delivery row counts attempts and ends the
 * schedule (an entry re-enqueued by the relay starts BullMQ's count again, the row's goes on).
 */
const QUEUE_ATTEMPTS_BACKSTOP = 1000;

export interface WebhookJobData {
  deliveryId: string;
}

/**
 * Adds the attempt whose BullMQ id is the delivery id: adding an id that is already queued or
 * delayed is a no-op, so the post-commit enqueue, the relay and a manual retry never stack up.
 */
export async function enqueueDelivery(queue: Queue<WebhookJobData>, deliveryId: string, delayMs = 0): Promise<void> {
  await queue.add(
    'deliver',
    { deliveryId },
    {
      jobId: deliveryId,
      delay: Math.max(0, delayMs),
      attempts: QUEUE_ATTEMPTS_BACKSTOP,
      backoff: { type: WEBHOOK_BACKOFF },
      removeOnComplete: true,
      removeOnFail: true,
    },
  );
}

/** Thrown by an attempt that must be tried again after `delayMs` (the row already says when). */
export class WebhookRetryLater extends Error {
  constructor(
    readonly delayMs: number,
    message: string,
  ) {
    super(message);
    this.name = 'WebhookRetryLater';
  }
}

/**
 * BullMQ's custom backoff: the delay the processor computed from the delivery row's attempt count
 * and the configured schedule, carried on the error it threw.
 */
export function webhookBackoff(_attemptsMade: number, type?: string, error?: Error): number {
  if (type === WEBHOOK_BACKOFF && error instanceof WebhookRetryLater) return error.delayMs;
  return 1000;
}
