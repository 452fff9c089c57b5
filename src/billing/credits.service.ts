import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { TtsError } from '../common/tts-error';
import { queryPrepared } from '../database/prepared-statement';
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
/** Raised by reserve_credits() (migration UsageAndKeyBudgets) when the key's budget for its period is spent. */
const KEY_BUDGET_SQLSTATE = 'SB402';

/**
 * reserve_credits()'s refusals (also when another function called it) as the errors callers see:
 * insufficient_credits, or key_budget_exceeded with Retry-After at the end of the key's period
 * (none for a budget without a period, which never resets). Anything else unchanged.
 */
export function asInsufficientCredits(error: unknown, amount: number): unknown {
  const code = (error as { code?: string }).code;
  if (code === KEY_BUDGET_SQLSTATE) return keyBudgetExceeded(error as { detail?: string }, amount);
  if (code !== INSUFFICIENT_CREDITS_SQLSTATE) return error;
  return new TtsError('insufficient_credits', `This request needs ${amount} credits; the balance is lower.`, {
    details: { required: amount },
  });
}

function keyBudgetExceeded(error: { detail?: string }, amount: number): TtsError {
  const budget = JSON.parse(error.detail ?? '{}') as {
    credit_limit: number;
    spent: number;
    period: string;
    retry_after_seconds: number | null;
  };
  const per = budget.period === 'none' ? 'in all' : `per ${budget.period} (UTC)`;
  return new TtsError(
    'key_budget_exceeded',
    `This API key's budget is ${budget.credit_limit} credits ${per}; ${budget.spent} are spent and this request needs ${amount}.`,
    {
      ...(budget.retry_after_seconds !== null ? { retryAfterSeconds: Math.max(1, budget.retry_after_seconds) } : {}),
      details: { required: amount, credit_limit: budget.credit_limit, spent: budget.spent, period: budget.period },
    },
  );
}

/** Who a reservation is for, carried into its usage event (docs/usage.md). */
export interface UsageAttribution {
  apiKeyId?: string;
  face?: string;
  /** The voice or `provider/model` route asked for, with `:voice` when an upstream voice was named apart. */
  voice?: string;
  characters?: number;
}

/** A synchronous cache hit's charge, described before the entry is read so the read can charge it in the same statement. */
export interface HitCharge {
  tenantId: string;
  amount: number;
  /** The ledger and usage reference (`sync_<uuid>`). */
  reference: string;
  usage: UsageAttribution;
}

export type UsageStatus = 'succeeded' | 'failed' | 'cancelled';

/** How a reservation ended, for its usage event; the kind of finish picks the status when none is given. */
export interface UsageOutcome {
  status?: UsageStatus;
  provider?: string;
  audioSeconds?: number;
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
      // A top-up that lifts the balance to the low-balance threshold or above re-arms the signal (docs/usage.md).
      const [rows] = await manager.query(
        `UPDATE tenants SET credit_balance = credit_balance + $2,
                low_balance_alerted = low_balance_alerted AND credit_balance + $2 < COALESCE(low_balance_threshold, 0)
          WHERE id = $1 RETURNING credit_balance`,
        [tenantId, delta],
      );
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
   * Returns what the caller could still reserve after this (the lower of the balance and the key's
   * budget left), as of the reservation: a hint for the next request, not a promise.
   */
  async reserveForRequest(
    tenantId: string,
    amount: number,
    reference: string,
    attribution: UsageAttribution = {},
    onSent?: () => void,
  ): Promise<number> {
    if (!Number.isSafeInteger(amount) || amount < 0) throw new Error(`Invalid reservation amount ${amount}`);
    let rows: Array<{ balance: string | null; key_left: string | null }>;
    try {
      // The two sub-selects read the statement's snapshot: the balance and the key's budget before this reservation.
      rows = await queryPrepared(
        this.dataSource,
        'reserve_request',
        `SELECT ${REQUEST_COMMIT}reserve_credits($1::uuid, $2::bigint, $3::varchar, $6::uuid, $7::varchar, $8::varchar, $9::integer),
                hold_credits($3::varchar, $1::uuid, $4::varchar, $5::integer),
                (SELECT credit_balance FROM tenants WHERE id = $1::uuid) AS balance,
                (SELECT credit_limit - CASE WHEN period_start = budget_period_start(budget_period, now()) THEN period_spent ELSE 0 END
                   FROM api_keys WHERE id = $6::uuid) AS key_left`,
        [
          tenantId,
          amount,
          reference,
          this.holds.owner,
          this.holds.ttlSeconds,
          attribution.apiKeyId ?? null,
          attribution.face ?? null,
          attribution.voice ?? null,
          attribution.characters ?? null,
        ],
        onSent,
      );
    } catch (error) {
      throw asInsufficientCredits(error, amount);
    }
    this.holds.track(reference);
    const { balance, key_left: keyLeft } = rows[0];
    return Math.min(Number(balance ?? 0), keyLeft === null ? Infinity : Number(keyLeft)) - amount;
  }

  /**
   * Ends a reservation as charged. `charged` below the reserved amount refunds the difference.
   * Returns false when there is no open reservation for `reference` (already settled or released).
   */
  settle(reference: string, charged?: number, manager?: EntityManager, outcome: UsageOutcome = {}): Promise<boolean> {
    if (manager) return this.finish(manager, '', reference, 'settle', charged ?? null, outcome);
    return this.holds.end(reference, () => this.finish(this.dataSource.manager, '', reference, 'settle', charged ?? null, outcome));
  }

  /**
   * settle() of a request's whole reservation after its audio was served, committed without waiting
   * for the WAL flush (REQUEST_COMMIT). Refunds (a partial charge, a release) keep settle()/release():
   * losing one of those would charge for audio that was not delivered.
   */
  settleRequest(reference: string, charged: number, outcome: UsageOutcome = {}): Promise<boolean> {
    return this.holds.end(reference, () => this.finish(this.dataSource.manager, REQUEST_COMMIT, reference, 'settle', charged, outcome));
  }

  /**
   * Charges a request answered from the audio cache: one `cache_hit` ledger entry under `reference`,
   * conditional on the balance (insufficient_credits otherwise), nothing reserved. Idempotent by
   * reference. Committed without waiting for the WAL flush (REQUEST_COMMIT): a crash can lose it,
   * which makes that hit free, never charges twice.
   */
  async chargeCacheHit(tenantId: string, amount: number, reference: string, usage: UsageAttribution & UsageOutcome = {}): Promise<void> {
    if (!Number.isSafeInteger(amount) || amount < 0) throw new Error(`Invalid cache hit charge ${amount}`);
    try {
      await queryPrepared(
        this.dataSource,
        'charge_cache_hit',
        `SELECT ${REQUEST_COMMIT}charge_cache_hit($1::uuid, $2::bigint, $3::varchar, $4::uuid, $5::varchar, $6::varchar, $7::integer,
                                                  $8::varchar, $9::double precision)`,
        [
          tenantId,
          amount,
          reference,
          usage.apiKeyId ?? null,
          usage.face ?? null,
          usage.voice ?? null,
          usage.characters ?? null,
          usage.provider ?? null,
          usage.audioSeconds ?? null,
        ],
      );
    } catch (error) {
      throw asInsufficientCredits(error, amount);
    }
  }

  /**
   * Gives back a streamed cache hit whose first byte never reached the client (refund_cache_hit(),
   * migration CacheHitRefund): its charge returns to the balance and to the key's spend, and its usage
   * event ends `cancelled`. A durable commit, like every refund. PostgreSQL out of reach: retried by
   * CreditHolds until it succeeds, as a settle or release is. False when there was no such charge or it
   * was given back already.
   */
  refundCacheHit(reference: string): Promise<boolean> {
    return this.holds.end(reference, async () => {
      const rows = await this.dataSource.query(`SELECT refund_cache_hit($1::varchar) AS refunded`, [reference]);
      return rows[0].refunded === true;
    });
  }

  /**
   * Ends a job's reservation as a cache hit, in the caller's transaction: the reservation is settled
   * with nothing charged and `amount` is charged as a `cache_hit` entry under the job's id. Returns
   * false when the reservation had already ended.
   */
  async settleAsCacheHit(reference: string, amount: number, manager: EntityManager, outcome: UsageOutcome = {}): Promise<boolean> {
    const rows = await manager.query(
      `SELECT settle_job_as_cache_hit($1::varchar, $2::bigint, $3::varchar, $4::double precision) AS finished`,
      [reference, amount, outcome.provider ?? null, outcome.audioSeconds ?? null],
    );
    return rows[0].finished === true;
  }

  /**
   * Ends a reservation as not charged: the whole amount goes back to the balance. Without `manager`
   * (a request's reservation), a release that cannot reach PostgreSQL is retried until it succeeds.
   */
  release(reference: string, manager?: EntityManager, outcome: UsageOutcome = {}): Promise<boolean> {
    if (manager) return this.finish(manager, '', reference, 'release', 0, outcome);
    return this.holds.end(reference, () => this.finish(this.dataSource.manager, '', reference, 'release', 0, outcome));
  }

  private async finish(
    manager: EntityManager,
    commit: string,
    reference: string,
    kind: 'settle' | 'release',
    charged: number | null,
    outcome: UsageOutcome,
  ): Promise<boolean> {
    const text = `SELECT ${commit}finish_reservation($1::varchar, $2::varchar, $3::bigint, $4::varchar, $5::varchar, $6::double precision) AS finished`;
    const values = [reference, kind, charged, outcome.status ?? null, outcome.provider ?? null, outcome.audioSeconds ?? null];
    // A caller's transaction keeps its own connection; otherwise the prepared statement (one per commit mode).
    const rows: Array<{ finished: boolean }> =
      manager === this.dataSource.manager
        ? await queryPrepared(this.dataSource, commit ? 'finish_request' : 'finish_reservation', text, values)
        : await manager.query(text, values);
    return rows[0].finished === true;
  }

  /**
   * The balance and what open reservations hold, from the open usage events (a partial index): what an
   * account view needs, read in a fraction of a millisecond however long the tenant's history is.
   * summary() recomputes the same from the ledger itself, for audits.
   */
  async balanceAndReserved(tenantId: string): Promise<{ balance: number; reserved: number }> {
    const rows = await this.dataSource.query(
      `SELECT t.credit_balance AS balance,
              COALESCE((SELECT sum(e.reserved) FROM usage_events e WHERE e.tenant_id = t.id AND e.status = 'open'), 0) AS reserved
         FROM tenants t WHERE t.id = $1`,
      [tenantId],
    );
    if (!rows[0]) throw new TtsError('not_found', `Tenant ${tenantId} does not exist.`);
    return { balance: Number(rows[0].balance), reserved: Number(rows[0].reserved) };
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
