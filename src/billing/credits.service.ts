import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TtsError } from '../common/tts-error';
import { CreditHolds } from './credit-holds';

export interface CreditSummary {
  tenantId: string;
  balance: number;
  /** Credits held by reservations that are neither settled nor released yet. */
  reserved: number;
  ledgerSum: number;
}

/** Raised by reserve_credits() (migration CreditFunctions) when the balance is too low. */
const INSUFFICIENT_CREDITS_SQLSTATE = 'SC402';

/** reserve_credits()'s refusal (also when another function called it) as the error callers see; anything else unchanged. */
export function asInsufficientCredits(error: unknown, amount: number): unknown {
  if ((error as { code?: string }).code !== INSUFFICIENT_CREDITS_SQLSTATE) return error;
  return new TtsError('insufficient_credits', `This request needs ${amount} credits; the balance is lower.`, {
    details: { required: amount },
  });
}

/**
 * Prefix for the select list of a one-statement billing call that may commit without waiting for the
 * WAL flush: `set_config(…, true)` lasts until the end of the statement's own transaction, so only
 * that commit is asynchronous (PostgreSQL's `synchronous_commit = off`, ~0.6 ms less per call here).
 * Used for a request's reservation and its full settle only. What a PostgreSQL crash can lose is the
 * last few hundred milliseconds of such commits (3 × wal_writer_delay at most), never a half of one:
 * a lost reservation makes that request free (its settle then finds nothing to settle), a lost settle
 * leaves a reservation open whose amount is already off the balance, which is what settling it would
 * have charged. Neither can charge twice or charge for audio that was not served. Job reservations
 * (written with the durable job row) and every refund stay durable.
 */
const REQUEST_COMMIT = `set_config('synchronous_commit', 'off', true), `;

/**
 * The tenant's balance and its append-only ledger, changed together in one transaction.
 * Every operation is idempotent by reference: a retried settle or release changes nothing.
 * A request's reservation is held by this process until it ends (CreditHolds): a settle or release
 * that cannot reach PostgreSQL is retried, and a process that dies leaves it to the sweeper.
 */
@Injectable()
export class CreditsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly holds: CreditHolds,
  ) {}

  async topUp(tenantId: string, amount: number, reference = `topup_${randomUUID()}`): Promise<number> {
    if (!Number.isSafeInteger(amount) || amount <= 0)
      throw new TtsError('invalid_request', 'A top-up must be a positive whole number of credits.', { field: 'amount' });
    return this.dataSource.transaction(async (manager) => {
      const inserted = await manager.query(
        `INSERT INTO credit_ledger (tenant_id, kind, amount, reference) VALUES ($1, 'topup', $2, $3)
         ON CONFLICT (reference, kind) DO NOTHING RETURNING id`,
        [tenantId, amount, reference],
      );
      const delta = inserted.length > 0 ? amount : 0;
      const [rows] = await manager.query(`UPDATE tenants SET credit_balance = credit_balance + $2 WHERE id = $1 RETURNING credit_balance`, [
        tenantId,
        delta,
      ]);
      if (rows.length === 0) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
      return Number(rows[0].credit_balance);
    });
  }

  /**
   * Holds `amount` credits for `reference`, for one HTTP request (synchronous or streamed speech). One
   * conditional UPDATE decides (never read-then-write); reserving the same reference twice holds once.
   * The same statement writes the hold: this process owns the reservation until the deadline, which
   * it renews while the request lives (CreditHolds). Committed without waiting for the WAL flush: see
   * REQUEST_COMMIT. (A job's reservation is written with its row, durably, by create_synthesis_job().)
   */
  async reserveForRequest(tenantId: string, amount: number, reference: string): Promise<void> {
    if (!Number.isSafeInteger(amount) || amount < 0) throw new Error(`Invalid reservation amount ${amount}`);
    try {
      await this.dataSource.query(
        `SELECT ${REQUEST_COMMIT}reserve_credits($1::uuid, $2::bigint, $3::varchar), hold_credits($3::varchar, $1::uuid, $4::varchar, $5::integer)`,
        [tenantId, amount, reference, this.holds.owner, this.holds.ttlSeconds],
      );
    } catch (error) {
      throw asInsufficientCredits(error, amount);
    }
    this.holds.track(reference);
  }

  /**
   * Ends a reservation as charged. `charged` below the reserved amount refunds the difference.
   * Returns false when there is no open reservation for `reference` (already settled or released).
   */
  settle(reference: string, charged?: number, manager?: EntityManager): Promise<boolean> {
    if (manager) return this.finish(manager, '', reference, 'settle', charged ?? null);
    return this.holds.end(reference, () => this.finish(this.dataSource.manager, '', reference, 'settle', charged ?? null));
  }

  /**
   * settle() of a request's whole reservation after its audio was served, committed without waiting
   * for the WAL flush (REQUEST_COMMIT). Refunds (a partial charge, a release) keep settle()/release():
   * losing one of those would charge for audio that was not delivered.
   */
  settleRequest(reference: string, charged: number): Promise<boolean> {
    return this.holds.end(reference, () => this.finish(this.dataSource.manager, REQUEST_COMMIT, reference, 'settle', charged));
  }

  /**
   * Charges a request answered from the audio cache: one `cache_hit` ledger entry under `reference`,
   * conditional on the balance (insufficient_credits otherwise), nothing reserved. Idempotent by
   * reference. Committed without waiting for the WAL flush (REQUEST_COMMIT): a crash can lose it,
   * which makes that hit free, never charges twice.
   */
  async chargeCacheHit(tenantId: string, amount: number, reference: string): Promise<void> {
    if (!Number.isSafeInteger(amount) || amount < 0) throw new Error(`Invalid cache hit charge ${amount}`);
    try {
      await this.dataSource.query(`SELECT ${REQUEST_COMMIT}charge_cache_hit($1::uuid, $2::bigint, $3::varchar)`, [
        tenantId,
        amount,
        reference,
      ]);
    } catch (error) {
      throw asInsufficientCredits(error, amount);
    }
  }

  /**
   * Ends a job's reservation as a cache hit, in the caller's transaction: the reservation is settled
   * with nothing charged and `amount` is charged as a `cache_hit` entry under the job's id. Returns
   * false when the reservation had already ended.
   */
  async settleAsCacheHit(reference: string, amount: number, manager: EntityManager): Promise<boolean> {
    const rows = await manager.query(`SELECT settle_job_as_cache_hit($1::varchar, $2::bigint) AS finished`, [reference, amount]);
    return rows[0].finished === true;
  }

  /**
   * Ends a reservation as not charged: the whole amount goes back to the balance. Without `manager`
   * (a request's reservation), a release that cannot reach PostgreSQL is retried until it succeeds.
   */
  release(reference: string, manager?: EntityManager): Promise<boolean> {
    if (manager) return this.finish(manager, '', reference, 'release', 0);
    return this.holds.end(reference, () => this.finish(this.dataSource.manager, '', reference, 'release', 0));
  }

  private async finish(
    manager: EntityManager,
    commit: string,
    reference: string,
    kind: 'settle' | 'release',
    charged: number | null,
  ): Promise<boolean> {
    const rows = await manager.query(`SELECT ${commit}finish_reservation($1::varchar, $2::varchar, $3::bigint) AS finished`, [
      reference,
      kind,
      charged,
    ]);
    return rows[0].finished === true;
  }

  async summary(tenantId: string): Promise<CreditSummary> {
    const rows = await this.dataSource.query(
      `SELECT t.credit_balance AS balance,
              COALESCE((SELECT SUM(amount) FROM credit_ledger WHERE tenant_id = t.id), 0) AS ledger_sum,
              COALESCE((SELECT SUM(-r.amount) FROM credit_ledger r
                         WHERE r.tenant_id = t.id AND r.kind = 'reserve'
                           AND NOT EXISTS (SELECT 1 FROM credit_ledger o WHERE o.reference = r.reference AND o.kind IN ('settle', 'release'))), 0) AS reserved
         FROM tenants t WHERE t.id = $1`,
      [tenantId],
    );
    if (!rows[0]) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    return { tenantId, balance: Number(rows[0].balance), reserved: Number(rows[0].reserved), ledgerSum: Number(rows[0].ledger_sum) };
  }

  /** Credits ever topped up, and the balance now: what has been used (charged, or held) is the difference. */
  async granted(tenantId: string): Promise<{ granted: number; balance: number }> {
    const rows = await this.dataSource.query(
      `SELECT t.credit_balance AS balance,
              COALESCE((SELECT SUM(amount) FROM credit_ledger WHERE tenant_id = t.id AND kind = 'topup'), 0) AS granted
         FROM tenants t WHERE t.id = $1`,
      [tenantId],
    );
    if (!rows[0]) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    return { granted: Number(rows[0].granted), balance: Number(rows[0].balance) };
  }
}
