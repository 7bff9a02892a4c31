import { median, medianParts, percentile, ratio, round, roundOrNull, shares, spread } from '../../bench/stats';
import { cellText, kib, percent, table } from '../../bench/markdown';

describe('bench statistics', () => {
  it('takes the middle value, or the mean of the two middle values', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([21.3, 21.6])).toBe(21.45);
    expect(() => median([])).toThrow(/no values/);
  });

  it('reports percentiles as observed values (nearest rank)', () => {
    const values = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(values, 90)).toBe(90);
    expect(percentile(values, 50)).toBe(50);
    expect(percentile([7], 90)).toBe(7);
    expect(() => percentile(values, 101)).toThrow(/outside/);
  });

  it('gives no ratio against a zero or non-finite reference', () => {
    expect(ratio(300, 150)).toBe(2);
    expect(ratio(1, 0)).toBeNull();
    expect(ratio(Number.NaN, 2)).toBeNull();
    expect(roundOrNull(ratio(1, 3), 2)).toBe(0.33);
    expect(roundOrNull(null)).toBeNull();
    expect(round(2.345, 1)).toBe(2.3);
  });

  it('sums parts with the same name before taking their share of the total', () => {
    const parts = [
      { name: 'ConfirmOutage', ms: 30 },
      { name: 'PromoteCandidate', ms: 20 },
      { name: 'ConfirmOutage', ms: 10 },
    ];
    expect(shares(parts, 100)).toEqual([
      { name: 'ConfirmOutage', ms: 40, share: 0.4 },
      { name: 'PromoteCandidate', ms: 20, share: 0.2 },
    ]);
  });

  it('takes the median of each part across runs, a missing part counting as zero', () => {
    const runs = [[{ name: 'a', ms: 1 }, { name: 'b', ms: 10 }], [{ name: 'a', ms: 3 }], [{ name: 'a', ms: 2 }, { name: 'b', ms: 30 }]];
    expect(medianParts(runs)).toEqual([
      { name: 'a', ms: 2 },
      { name: 'b', ms: 10 },
    ]);
    expect(spread([3, 1, 2])).toEqual({ n: 3, min: 1, median: 2, max: 3 });
  });
});

describe('bench markdown', () => {
  it('right-aligns numeric columns and shows missing values as a dash', () => {
    expect(table(['name', 'ms'], [['floor', 139.5], ['full', null]])).toBe(
      ['| name | ms |', '| --- | ---: |', '| floor | 139.5 |', '| full | – |'].join('\n'),
    );
  });

  it('escapes pipes and line breaks inside cells', () => {
    expect(cellText('a|b\nc')).toBe('a\\|b c');
    expect(cellText(Number.NaN)).toBe('–');
  });

  it('formats sizes and shares', () => {
    expect(kib(2048)).toBe(2);
    expect(kib(undefined)).toBeNull();
    expect(percent(0.1234)).toBe('12.3 %');
  });
});
