import { addMeasure, emptyCounts, parseHistoryField, quantileMs, slotOf } from '../../../src/metrics/metrics-history';
import { loadEnvironment } from '../../../src/config/environment';

describe('metrics history: quantiles from cumulative buckets', () => {
  const counts = (buckets: Record<string, number>) => {
    const sut = emptyCounts();
    for (const [bound, value] of Object.entries(buckets)) addMeasure(sut, `le=${bound}`, value);
    addMeasure(sut, 'n', buckets['+Inf']);
    return sut;
  };

  it('interpolates within the bucket that holds the rank, as histogram_quantile does', () => {
    // 100 calls: 50 at most 0.1 s, 90 at most 0.25 s, all at most 0.5 s.
    const sut = counts({ '0.1': 50, '0.25': 90, '0.5': 100, '+Inf': 100 });
    expect(quantileMs(sut, 0.5)).toBe(100);
    expect(quantileMs(sut, 0.95)).toBe(375);
  });

  it('answers the highest finite bound when the rank is past it, and nothing without calls', () => {
    expect(quantileMs(counts({ '0.1': 0, '+Inf': 10 }), 0.5)).toBe(100);
    expect(quantileMs(emptyCounts(), 0.5)).toBeUndefined();
  });

  it('parses its own field names and aligns slots to 10 s', () => {
    expect(parseHistoryField('p|openai|api@h:1|le=0.25')).toEqual({ kind: 'p', subject: 'openai', process: 'api@h:1', measure: 'le=0.25' });
    expect(parseHistoryField('x|y')).toBeUndefined();
    expect(slotOf(1_000_019_999)).toBe(1_000_010);
  });
});

describe('admin environment', () => {
  it('never repeats a bad ADMIN_TOKEN in its error, and refuses both forms at once', () => {
    expect(() => loadEnvironment({ ADMIN_TOKEN: 'short-secret' })).toThrow(/ADMIN_TOKEN: .*a value that is not shown/);
    expect(() => loadEnvironment({ ADMIN_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
    expect(() => loadEnvironment({ ADMIN_TOKEN: 'x'.repeat(32), ADMIN_TOKEN_SHA256: 'a'.repeat(64) })).toThrow(/not both/);
    expect(loadEnvironment({ ADMIN_TOKEN_SHA256: 'A'.repeat(64) }).ADMIN_TOKEN_SHA256).toBe('A'.repeat(64));
  });
});
