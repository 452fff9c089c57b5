import type { Queue } from 'bullmq';

export interface SynthesisJobData {
  jobId: string;
}

/** First retry after 2 s, then 4 s, 8 s…: transient upstream trouble usually clears in seconds. */
const BACKOFF_BASE_MS = 2000;

/**
 * Adds the BullMQ job whose id is the row id. Adding an id that already exists is a no-op in BullMQ,
 * which is what makes the outbox relay and a retried create harmless.
 */
export async function enqueueSynthesis(queue: Queue<SynthesisJobData>, jobId: string, attempts: number): Promise<void> {
  await queue.add(
    'synthesize',
    { jobId },
    {
      jobId,
      attempts,
      backoff: { type: 'exponential', delay: BACKOFF_BASE_MS },
      removeOnComplete: true,
      removeOnFail: { age: 24 * 3600 },
    },
  );
}
