import { TtsError } from '../tts-error';

const IDEMPOTENCY_KEY = /^[\x21-\x7E]{1,255}$/;

/**
 * The `Idempotency-Key` header of a request that creates a job (Stripe's semantics): 1–255 visible
 * ASCII characters, or absent. One rule for every face; each renders the refusal in its envelope.
 */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value[0] : value;
  if (!IDEMPOTENCY_KEY.test(key)) {
    throw new TtsError('invalid_request', "Header 'Idempotency-Key' must be 1 to 255 visible ASCII characters.", {
      field: 'Idempotency-Key',
    });
  }
  return key;
}

/** The response header that tells a client its create was a replay of an earlier one (Stripe's name). */
export const IDEMPOTENT_REPLAY_HEADER = 'idempotent-replayed';
