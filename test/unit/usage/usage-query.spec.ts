import { TtsError } from '../../../src/common/tts-error';
import { budgetWindow, keySpend, parseKeyBudget } from '../../../src/tenants/key-budget';
import { parseInstant, parseUsageQuery } from '../../../src/usage/usage-query';
import { nextBucket, usageCsv } from '../../../src/usage/usage.service';

const NOW = new Date('2026-03-17T10:20:30Z');

describe('parseUsageQuery', () => {
  it('defaults to the current UTC month so far, by day, ungrouped', () => {
    expect(parseUsageQuery({}, NOW)).toEqual({ from: new Date('2026-03-01T00:00:00Z'), to: NOW, interval: 'day', groupBy: [] });
  });

  it('reads offsets as instants, dates as midnight UTC, and group_by as a list or repeated', () => {
    const sut = parseUsageQuery({
      from: '2026-03-01T03:00:00+03:00',
      to: '2026-03-02',
      interval: 'hour',
      group_by: ['api_key,voice', 'status', 'voice'],
    });
    expect(sut).toEqual({
      from: new Date('2026-03-01T00:00:00Z'),
      to: new Date('2026-03-02T00:00:00Z'),
      interval: 'hour',
      groupBy: ['api_key', 'voice', 'status'],
    });
    expect(parseInstant('2026-03-01T00:00:00.123-0530', 'from').toISOString()).toBe('2026-03-01T05:30:00.123Z');
  });

  it.each([
    ['2026-02-29', 'from'],
    ['2026-13-01', 'from'],
    ['2026-03-01T24:00:00Z', 'from'],
    ['2026-03-01T10:61:00Z', 'from'],
    ['2026-03-01 10:00:00Z', 'from'],
    ['1709251200', 'from'],
  ])('refuses %s', (value, field) => {
    expect(() => parseUsageQuery({ from: value, to: '2026-04-01' }, NOW)).toThrow(
      expect.objectContaining({ code: 'invalid_request', field }),
    );
  });

  it('refuses empty or reversed ranges, ranges too long, unknown names', () => {
    const refused = (input: Record<string, unknown>) => {
      try {
        parseUsageQuery(input, NOW);
      } catch (error) {
        return [(error as TtsError).code, (error as TtsError).field];
      }
      return undefined;
    };
    expect(refused({ from: '2026-03-01', to: '2026-03-01' })).toEqual(['invalid_request', 'to']);
    expect(refused({ from: '2025-01-01', to: '2026-03-01' })).toEqual(['invalid_request', 'to']);
    expect(refused({ from: '2026-01-01', to: '2026-06-01', interval: 'hour' })).toEqual(['invalid_request', 'interval']);
    expect(refused({ interval: 'minute' })).toEqual(['invalid_request', 'interval']);
    expect(refused({ group_by: 'tenant' })).toEqual(['invalid_request', 'group_by']);
    expect(refused({ from: ['2026-03-01', '2026-03-02'] })).toEqual(['invalid_request', 'from']);
  });
});

describe('key budget periods', () => {
  it('are UTC days and months, across a year end and a leap day', () => {
    expect(budgetWindow('day', new Date('2028-02-29T23:59:59.999Z'))).toEqual({
      start: new Date('2028-02-29T00:00:00Z'),
      end: new Date('2028-03-01T00:00:00Z'),
    });
    expect(budgetWindow('month', new Date('2026-12-31T23:00:00Z'))).toEqual({
      start: new Date('2026-12-01T00:00:00Z'),
      end: new Date('2027-01-01T00:00:00Z'),
    });
    expect(budgetWindow('none', NOW)).toEqual({ start: null, end: null });
    expect(nextBucket(new Date('2026-12-01T00:00:00Z'), 'month')).toEqual(new Date('2027-01-01T00:00:00Z'));
  });

  it("count a key's spend only in the period it was written in", () => {
    const key = { creditLimit: 100, budgetPeriod: 'day' as const, periodStart: new Date('2026-03-16T00:00:00Z'), periodSpent: 80 };
    expect(keySpend(key, NOW)).toMatchObject({ spent: 0, remaining: 100, resets_at: '2026-03-18T00:00:00.000Z' });
    expect(keySpend({ ...key, periodStart: new Date('2026-03-17T00:00:00Z') }, NOW)).toMatchObject({ spent: 80, remaining: 20 });
    expect(keySpend({ ...key, budgetPeriod: 'none', periodStart: new Date(0) }, NOW)).toMatchObject({ spent: 80, resets_at: null });
  });

  it('are parsed from input, keeping what a change leaves out', () => {
    const fields = { creditLimit: 'credit_limit', period: 'period' };
    expect(parseKeyBudget({ creditLimit: 5 }, fields, { creditLimit: 1, period: 'day' })).toEqual({ creditLimit: 5, period: 'day' });
    expect(parseKeyBudget({ creditLimit: null }, fields, { creditLimit: 1, period: 'day' })).toEqual({ creditLimit: null, period: 'day' });
    expect(() => parseKeyBudget({ creditLimit: -1 }, fields)).toThrow(expect.objectContaining({ field: 'credit_limit' }));
    expect(() => parseKeyBudget({ period: 'year' }, fields)).toThrow(expect.objectContaining({ field: 'period' }));
  });
});

describe('usageCsv', () => {
  it('quotes what needs quoting and leaves nulls empty', () => {
    const csv = usageCsv({
      from: 'a',
      to: 'b',
      interval: 'day',
      group_by: ['voice', 'provider'],
      buckets: [
        {
          start: 's',
          end: 'e',
          voice: 'x,"y"\n',
          provider: null,
          requests: 1,
          failures: 0,
          cancelled: 0,
          characters: 2,
          audio_seconds: 0.5,
          credits_charged: 3,
          credits_refunded: 0,
          cache_hits: 0,
        },
      ],
      totals: {
        requests: 1,
        failures: 0,
        cancelled: 0,
        characters: 2,
        audio_seconds: 0.5,
        credits_charged: 3,
        credits_refunded: 0,
        cache_hits: 0,
      },
      low_balance: { threshold: null, below: false, crossings: [] },
    });
    expect(csv).toBe(
      'start,end,voice,provider,requests,failures,cancelled,characters,audio_seconds,credits_charged,credits_refunded,cache_hits\r\n' +
        's,e,"x,""y""\n",,1,0,0,2,0.5,3,0,0\r\n',
    );
  });
});
