import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Injectable } from '@nestjs/common';
import { CreditsService } from '../billing/credits.service';
import { RootLogger } from '../logging/root-logger';

/** Waits between tries of a settle or release that failed (the database restarting, say). */
const FINISH_RETRY_DELAYS_MS = [200, 1000, 5000, 15000];

/**
 * The one billing rule of a synchronous or streamed request, for every face: credits are reserved
 * before anything is synthesized; once audio has been delivered the reservation is settled in full,
 * whatever ends the stream (its end, a provider failing halfway, the client hanging up); when nothing
 * was delivered it is released in full. The client never waits for the settle: it runs once the last
 * byte is out, and a settle or release that fails is tried again in the background. Audio that was
 * delivered is never released, so a failed settle cannot give audio away while this process lives; a
 * reservation left open by a crash is released by the sweeper (docs/architecture.md, "Billing").
 */
@Injectable()
export class RequestBilling {
  constructor(
    private readonly credits: CreditsService,
    private readonly logger: RootLogger,
  ) {}

  /** Holds `amount` credits; throws insufficient_credits (402 in every face) when the balance is lower. */
  async reserve(tenantId: string, amount: number): Promise<string> {
    const reference = `sync_${randomUUID()}`;
    await this.credits.reserveForRequest(tenantId, amount, reference);
    return reference;
  }

  /**
   * `chunks`, billed: settled when the stream ends whole or `delivered()` was called (the consumer has
   * sent audio to the client), released otherwise. `stop` is called when the consumer stops early or
   * the stream fails, so the synthesis behind it ends too.
   */
  billed(
    chunks: AsyncIterable<Buffer>,
    reference: string,
    amount: number,
    stop: () => void,
  ): { chunks: AsyncGenerator<Buffer>; delivered: () => void } {
    let delivered = false;
    const finish = (complete: boolean) => {
      if (!complete) stop();
      this.finish(reference, amount, delivered || complete);
    };
    async function* watched(): AsyncGenerator<Buffer> {
      let complete = false;
      try {
        yield* chunks;
        complete = true;
      } finally {
        finish(complete);
      }
    }
    return { chunks: watched(), delivered: () => (delivered = true) };
  }

  /** Settles (charged) or releases a reservation, retrying in the background; never rejects. */
  finish(reference: string, amount: number, charged: boolean): void {
    void this.finishWithRetries(reference, amount, charged);
  }

  private async finishWithRetries(reference: string, amount: number, charged: boolean): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (charged) await this.credits.settleRequest(reference, amount);
        else await this.credits.release(reference);
        return;
      } catch (error) {
        const delay = FINISH_RETRY_DELAYS_MS[attempt];
        const what = charged ? 'settle' : 'release';
        if (delay === undefined) {
          this.logger.pino.error(
            { reference, err: (error as Error).message },
            `request ${what} failed; the reservation stays open for the sweeper`,
          );
          return;
        }
        this.logger.pino.warn({ reference, attempt: attempt + 1, err: (error as Error).message }, `request ${what} failed; trying again`);
        await sleep(delay, undefined, { ref: false });
      }
    }
  }
}
