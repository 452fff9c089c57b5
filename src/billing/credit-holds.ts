import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Injectable, OnApplicationShutdown, OnModuleInit } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { describeOutage, isDependencyOutage } from '../common/errors/dependency-outage';
import { AppConfig } from '../config/app-config';
import { RootLogger } from '../logging/root-logger';

/** Retries of a finish that could not reach PostgreSQL: 1 s, 2 s, 4 s … then every 30 s while the process lives. */
const FIRST_RETRY_MS = 1000;
const LONGEST_RETRY_MS = 30_000;
/** How many abandoned holds one sweep releases. */
const SWEEP_BATCH = 500;
/** On shutdown, how long the last attempt at unfinished settles and releases may take. */
const SHUTDOWN_FLUSH_MS = 3000;

interface PendingFinish {
  /** Settles or releases the reservation; resolves whether it did (false: it had already ended). */
  finish: () => Promise<boolean>;
  attempt: number;
  timer?: NodeJS.Timeout;
}

/**
 * The holds of this process's request reservations (table `credit_holds`, migration CreditHolds).
 *
 * A synchronous or streamed request reserves credits with a hold naming this process (`owner`) and
 * a deadline. While the request lives, this class pushes the deadline forward; when the request
 * ends, its settle or release ends the hold. A settle or release that cannot reach PostgreSQL is
 * retried here until it succeeds. If the process dies, nobody renews its holds, and the worker's
 * maintenance (`releaseAbandoned`) releases each reservation once its deadline has passed: on a
 * crash the customer is favoured.
 */
@Injectable()
export class CreditHolds implements OnModuleInit, OnApplicationShutdown {
  /** host:pid:boot, so a restarted process with a recycled pid is not mistaken for the old one. */
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  readonly ttlSeconds: number;
  private readonly live = new Set<string>();
  private readonly pending = new Map<string, PendingFinish>();
  private renewTimer?: NodeJS.Timeout;
  private renewing?: Promise<void>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly logger: RootLogger,
    config: AppConfig,
  ) {
    this.ttlSeconds = config.billing.holdTtlSeconds;
  }

  onModuleInit(): void {
    // A third of the lifetime: two renewals may fail (a database restart) before a live hold expires.
    this.renewTimer = setInterval(() => void this.renew(), (this.ttlSeconds * 1000) / 3);
    this.renewTimer.unref();
  }

  /** A reservation of a request running in this process: its deadline is renewed until it ends. */
  track(reference: string): void {
    this.live.add(reference);
  }

  /** The reservation ended (settled, released, or found already ended). */
  ended(reference: string): void {
    this.live.delete(reference);
    const pending = this.pending.get(reference);
    if (pending) clearTimeout(pending.timer);
    this.pending.delete(reference);
  }

  /**
   * Runs `finish` for a request's reservation. PostgreSQL out of reach: the reservation stays held
   * (renewed) and `finish` is retried in the background until it succeeds; the error is rethrown for
   * the request to report. The last call wins: a release asked for after a failed settle replaces it.
   */
  async end(reference: string, finish: () => Promise<boolean>): Promise<boolean> {
    const previous = this.pending.get(reference);
    if (previous) clearTimeout(previous.timer);
    this.pending.delete(reference);
    try {
      const ended = await finish();
      this.ended(reference);
      return ended;
    } catch (error) {
      if (isDependencyOutage(error)) this.retryLater(reference, { finish, attempt: 0 });
      // Anything else is a bug: stop renewing, and the sweeper releases it at its deadline.
      else this.live.delete(reference);
      throw error;
    }
  }

  /** References whose settle or release waits for PostgreSQL (for tests and shutdown). */
  unfinished(): string[] {
    return [...this.pending.keys()];
  }

  private retryLater(reference: string, pending: PendingFinish): void {
    const delay = Math.min(FIRST_RETRY_MS * 2 ** pending.attempt, LONGEST_RETRY_MS);
    this.live.add(reference);
    this.pending.set(reference, pending);
    pending.timer = setTimeout(() => void this.retry(reference, pending), delay);
    pending.timer.unref();
  }

  private async retry(reference: string, pending: PendingFinish): Promise<void> {
    if (this.pending.get(reference) !== pending) return;
    try {
      const finished = await pending.finish();
      if (this.pending.get(reference) === pending) this.ended(reference);
      const message = finished
        ? 'credit reservation finished after PostgreSQL came back'
        : 'credit reservation had already ended (its hold expired and the sweeper released it)';
      this.logger.pino.info({ reference, attempts: pending.attempt + 2 }, message);
    } catch (error) {
      if (this.pending.get(reference) !== pending) return;
      if (pending.attempt === 0)
        this.logger.pino.warn({ reference, reason: describeOutage(error) }, 'credit reservation not finished yet; retrying');
      this.retryLater(reference, { finish: pending.finish, attempt: pending.attempt + 1 });
    }
  }

  /** Pushes the deadline of every hold this process still has forward by the hold's lifetime. */
  private renew(): Promise<void> {
    if (this.live.size === 0 || this.renewing) return this.renewing ?? Promise.resolve();
    const references = [...this.live];
    this.renewing = this.dataSource
      .query(`UPDATE credit_holds SET deadline = now() + make_interval(secs => $3) WHERE owner = $1 AND reference = ANY($2::varchar[])`, [
        this.owner,
        references,
        this.ttlSeconds,
      ])
      .then(
        () => undefined,
        (error: unknown) => this.logger.pino.warn({ reason: describeOutage(error), holds: references.length }, 'credit holds not renewed'),
      )
      .finally(() => (this.renewing = undefined));
    return this.renewing;
  }

  /**
   * Releases request reservations whose hold has expired: their process died, or lost PostgreSQL for
   * longer than the hold's lifetime. SKIP LOCKED lets several workers sweep at once, each hold once.
   * Returns how many reservations were released (holds of reservations already ended are dropped).
   */
  async releaseAbandoned(): Promise<number> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Array<{ reference: string; released: boolean }> = await manager.query(
        `SELECT h.reference, finish_reservation(h.reference, 'release', 0) AS released
           FROM (SELECT reference FROM credit_holds WHERE deadline < now() ORDER BY deadline LIMIT $1 FOR UPDATE SKIP LOCKED) h`,
        [SWEEP_BATCH],
      );
      if (rows.length === 0) return 0;
      await manager.query(`DELETE FROM credit_holds WHERE reference = ANY($1::varchar[])`, [rows.map((row) => row.reference)]);
      const released = rows.filter((row) => row.released).length;
      if (released > 0) this.logger.pino.warn({ released }, 'released credit reservations abandoned by their request');
      return released;
    });
  }

  /** One last try at what waits for PostgreSQL; what still fails is released by the sweeper after its deadline. */
  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.renewTimer);
    const waiting = [...this.pending.entries()];
    for (const [, pending] of waiting) clearTimeout(pending.timer);
    const attempts = Promise.allSettled(waiting.map(([reference, pending]) => this.retry(reference, pending)));
    await Promise.race([attempts, new Promise((resolve) => setTimeout(resolve, SHUTDOWN_FLUSH_MS).unref())]);
    await this.renewing;
  }
}
