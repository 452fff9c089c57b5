import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { CreditsService, HitCharge, UsageAttribution, UsageOutcome } from '../billing/credits.service';
import { watched } from '../common/watched-iterator';
import { RootLogger } from '../logging/root-logger';

/**
 * The one billing rule of a synchronous or streamed request, for every face: credits are reserved
 * before anything is synthesized; once audio has been delivered the reservation is settled in full,
 * whatever ends the stream (its end, a provider failing halfway, the client hanging up); when nothing
 * was delivered it is released in full. The client never waits for the settle: it runs once the last
 * byte is out, and a settle or release that fails is tried again in the background (CreditHolds).
 * Audio that was delivered is never released, so a failed settle cannot give audio away while this
 * process lives; a reservation left open by a crash is released by the sweeper at its hold's deadline
 * (docs/architecture.md, "Billing").
 */
@Injectable()
export class RequestBilling {
  /** What each key could still reserve after its last reservation in this process, and when that was. */
  private readonly headroom = new Map<string, { credits: number; at: number }>();

  constructor(
    private readonly credits: CreditsService,
    private readonly logger: RootLogger,
  ) {}

  /**
   * Holds `amount` credits; throws insufficient_credits (402 in every face) when the balance is lower,
   * key_budget_exceeded (402) when the key's budget for its period is spent.
   * `onSent` is called once the statement has been handed to its connection.
   */
  async reserve(tenantId: string, amount: number, attribution: UsageAttribution = {}, onSent?: () => void): Promise<string> {
    const reference = `sync_${randomUUID()}`;
    const subject = headroomKey(tenantId, attribution.apiKeyId);
    try {
      const left = await this.credits.reserveForRequest(tenantId, amount, reference, attribution, onSent);
      this.headroom.delete(subject);
      this.headroom.set(subject, { credits: left, at: Date.now() });
      if (this.headroom.size > HEADROOM_KEYS) this.headroom.delete(this.headroom.keys().next().value!);
    } catch (error) {
      this.headroom.delete(subject);
      throw error;
    }
    return reference;
  }

  /**
   * Whether a request of `amount` may start its synthesis while its reservation is being made: only
   * when this key's last reservation in this process, less than HEADROOM_MS ago, left at least that
   * much (counted down by each request started so). The reservation still decides, and nothing reaches
   * the client before it has: a refused one stops the synthesis it overlapped. So a key that runs dry
   * costs at most the one upstream call its last overlapped request started, and a key that is refused
   * never overlaps again until a reservation succeeds. Saves a PostgreSQL round trip on the way to the
   * first byte (docs/architecture.md, "Billing").
   */
  mayStartBeforeReserved(tenantId: string, apiKeyId: string | undefined, amount: number): boolean {
    const known = this.headroom.get(headroomKey(tenantId, apiKeyId));
    if (!known || Date.now() - known.at > HEADROOM_MS || known.credits < amount) return false;
    known.credits -= amount;
    return true;
  }

  /**
   * Charges an answer served from the audio cache (its hit price) before it is sent: the audio is whole
   * and in hand, so there is nothing to reserve and nothing that can fail halfway. Throws
   * insufficient_credits (402 in every face) when the balance is lower.
   */
  async chargeHit(charge: HitCharge, outcome: Pick<UsageOutcome, 'provider' | 'audioSeconds'>): Promise<void> {
    await this.credits.chargeCacheHit(charge.tenantId, charge.amount, charge.reference, { ...charge.usage, ...outcome });
  }

  /**
   * A cache hit's charge, described up front under a new reference: the cache reads a stored entry and
   * charges it in one statement; a hit served otherwise (an identical synthesis just finished) is
   * charged with chargeHit().
   */
  hitCharge(tenantId: string, amount: number, usage: UsageAttribution): HitCharge {
    return { tenantId, amount, reference: `sync_${randomUUID()}`, usage };
  }

  /**
   * `chunks`, billed: settled when the stream ends whole or `delivered()` was called (the consumer has
   * sent audio to the client), released otherwise. `stop` is called when the consumer stops early or
   * the stream fails, so the synthesis behind it ends too. `served` describes the outcome for the
   * usage report (provider, audio seconds) when the stream ends.
   */
  billed<T = Buffer>(
    chunks: AsyncIterable<T>,
    reference: string,
    amount: number,
    stop: () => void,
    served: (bytes: number) => Omit<UsageOutcome, 'status'> = () => ({}),
  ): { chunks: AsyncIterable<T>; delivered: () => void } {
    let delivered = false;
    let bytes = 0;
    const billedChunks = watched(chunks, {
      seen: (chunk) => {
        if (Buffer.isBuffer(chunk)) bytes += chunk.length;
      },
      end: (status) => {
        const complete = status === 'succeeded';
        if (!complete) stop();
        void this.finish(reference, amount, delivered || complete, { ...served(bytes), status });
      },
    });
    return { chunks: billedChunks, delivered: () => (delivered = true) };
  }

  /**
   * A streamed cache hit's `chunks` under the same rule: the hit was charged by the statement that read
   * it, a moment before the answer's first write, so when the stream ends before `delivered()` and
   * before its end (the client hung up before the first byte, or the face failed before writing) the
   * charge is given back in the background (CreditsService.refundCacheHit).
   */
  billedHit<T = Buffer>(chunks: AsyncIterable<T>, reference: string): { chunks: AsyncIterable<T>; delivered: () => void } {
    let delivered = false;
    const billedChunks = watched(chunks, {
      end: (status) => {
        if (!delivered && status !== 'succeeded') void this.refundHit(reference);
      },
    });
    return { chunks: billedChunks, delivered: () => (delivered = true) };
  }

  /** Gives a hit's charge back, waiting for it up to `waitMs` (a client told 429 finds its balance whole), then in the background. */
  async refundHitBeforeAnswering(reference: string, waitMs = 1000): Promise<void> {
    await atMost(this.refundHit(reference), waitMs);
  }

  /**
   * Gives a hit's charge back in the background; never rejects. One that cannot reach PostgreSQL is
   * retried by CreditHolds until it succeeds, as a settle or release is.
   */
  refundHit(reference: string): Promise<void> {
    return this.credits.refundCacheHit(reference).then(
      () => undefined,
      (error: Error) => this.logger.pino.warn({ reference, err: error.message }, 'cache hit refund failed for now; it is retried'),
    );
  }

  /**
   * Settles (charged) or releases a reservation in the background; never rejects. A settle or release
   * that cannot reach PostgreSQL is retried by CreditHolds until it succeeds, and the reservation stays
   * held meanwhile; delivered audio is only ever settled, so a failed settle cannot turn into a release.
   */
  finish(reference: string, amount: number, charged: boolean, outcome: UsageOutcome = {}): Promise<void> {
    const finished = charged ? this.credits.settleRequest(reference, amount, outcome) : this.credits.release(reference, undefined, outcome);
    return finished.then(
      () => undefined,
      (error: Error) =>
        this.logger.pino.warn({ reference, err: error.message }, `request ${charged ? 'settle' : 'release'} failed for now; it is retried`),
    );
  }

  /**
   * Releases a reservation whose request failed before any audio, waiting for it up to `waitMs`: a
   * client told "failed" then finds its balance whole when it looks. A release slower than that goes
   * on in the background, as `finish`.
   */
  async releaseBeforeAnswering(reference: string, amount: number, outcome: UsageOutcome = {}, waitMs = 1000): Promise<void> {
    await atMost(this.finish(reference, amount, false, outcome), waitMs);
  }
}

/** Waits for `work` (which never rejects) at most `ms`; it goes on in the background after that. */
async function atMost(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const waited = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)));
  await Promise.race([work, waited]);
  clearTimeout(timer);
}

/**
 * How long a key's headroom is trusted: other processes spend from the same balance meanwhile. Trusting
 * it too long costs only provider calls started and then abandoned when the reservation is refused
 * (the reservation still decides), so it covers a key that speaks every few tens of seconds.
 */
const HEADROOM_MS = 60_000;
/** Keys remembered (the least recently reserving forgotten first). */
const HEADROOM_KEYS = 10_000;

function headroomKey(tenantId: string, apiKeyId: string | undefined): string {
  return `${tenantId}:${apiKeyId ?? ''}`;
}
