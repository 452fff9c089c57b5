/** BullMQ queue names. Keys live under QUEUE_PREFIX, so environments sharing a Redis never mix. */
export const SYNTHESIS_QUEUE = 'synthesis';
