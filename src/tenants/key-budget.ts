import { TtsError } from '../common/tts-error';
import { ApiKeyEntity, BUDGET_PERIODS, BudgetPeriod } from './api-key.entity';

/** A budget to set on a key: `creditLimit` null removes it (the key keeps counting its spend per `period`). */
export interface KeyBudget {
  creditLimit: number | null;
  period: BudgetPeriod;
}

/** What a key has spent in its current period, as every face shows it (`GET /v1/account`, the Fish profile, `GET /v1/keys`). */
export interface KeySpend {
  credit_limit: number | null;
  period: BudgetPeriod;
  /** Credits reserved in the period minus refunds (a running request counts until it is refunded). */
  spent: number;
  /** Credits left before key_budget_exceeded; null without a budget. */
  remaining: number | null;
  period_start: string | null;
  /** When the spend starts again from zero (UTC); null for `none`. */
  resets_at: string | null;
}

/** The UTC period containing `at`: [start, end), or no bounds for `none`. */
export function budgetWindow(period: BudgetPeriod, at: Date): { start: Date | null; end: Date | null } {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  switch (period) {
    case 'day': {
      const start = new Date(Date.UTC(year, month, at.getUTCDate()));
      return { start, end: new Date(start.getTime() + 86_400_000) };
    }
    case 'month':
      return { start: new Date(Date.UTC(year, month, 1)), end: new Date(Date.UTC(year, month + 1, 1)) };
    case 'none':
      return { start: null, end: null };
  }
}

export function keySpend(
  key: Pick<ApiKeyEntity, 'creditLimit' | 'budgetPeriod' | 'periodStart' | 'periodSpent'>,
  now = new Date(),
): KeySpend {
  const window = budgetWindow(key.budgetPeriod, now);
  // The counter belongs to the period it was last written in; an older one means nothing spent in this one.
  const current = window.start === null || key.periodStart.getTime() === window.start.getTime();
  const spent = current ? key.periodSpent : 0;
  return {
    credit_limit: key.creditLimit,
    period: key.budgetPeriod,
    spent,
    remaining: key.creditLimit === null ? null : Math.max(0, key.creditLimit - spent),
    period_start: window.start?.toISOString() ?? null,
    resets_at: window.end?.toISOString() ?? null,
  };
}

/**
 * A budget from client or CLI input: `creditLimit` a whole number ≥ 0 or null (no budget), `period`
 * one of day, month, none. `current` supplies what the input leaves out (PATCH with one of them).
 */
export function parseKeyBudget(
  input: { creditLimit?: unknown; period?: unknown },
  fields: { creditLimit: string; period: string },
  current: KeyBudget = { creditLimit: null, period: 'month' },
): KeyBudget {
  const limit = input.creditLimit === undefined ? current.creditLimit : input.creditLimit;
  if (limit !== null && (typeof limit !== 'number' || !Number.isSafeInteger(limit) || limit < 0))
    throw new TtsError('invalid_request', `${fields.creditLimit} must be a whole number of credits ≥ 0, or null for no budget.`, {
      field: fields.creditLimit,
    });
  const period = input.period === undefined ? current.period : input.period;
  if (!BUDGET_PERIODS.includes(period as BudgetPeriod))
    throw new TtsError('invalid_request', `${fields.period} must be one of ${BUDGET_PERIODS.join(', ')}.`, { field: fields.period });
  return { creditLimit: limit, period: period as BudgetPeriod };
}
