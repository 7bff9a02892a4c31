import { formatBytes, formatDuration, formatSeconds } from '../../shared/units';

const kB = 1024;
const MB = 1024 * kB;
const GB = 1024 * MB;

// Moved here from lag.test.ts with the formatter (it was shared/decisions/lag.ts's formatBytes).
describe('sizes for people', () => {
  it('writes bytes, then kB, MB and GB in powers of 1024: one decimal under 10, whole from 10 on', () => {
    expect([0, 96, 1023, 1024, 1.5 * kB, 812 * kB, MB, 1.5 * MB, 2_805_928, 10 * MB, 41.4 * MB, 1.2 * GB, 3 * 1024 * GB].map(formatBytes)).toEqual([
      '0 B', '96 B', '1023 B', '1.0 kB', '1.5 kB', '812 kB', '1.0 MB', '1.5 MB', '2.7 MB', '10 MB', '41 MB', '1.2 GB', '3.0 TB',
    ]);
  });

  it('moves to the next unit when rounding would print 1024 of this one, and to no decimal when it would print 10.0', () => {
    expect(formatBytes(1023.6)).toBe('1.0 kB');
    expect(formatBytes(1023.7 * kB)).toBe('1.0 MB');
    expect(formatBytes(9.97 * MB)).toBe('10 MB');
  });

  it('keeps the sign of a negative size and names what is not a number', () => {
    expect(formatBytes(-1.5 * MB)).toBe('-1.5 MB');
    expect(formatBytes(Number.NaN)).toBe('NaN');
  });
});

describe('durations for people', () => {
  it('writes milliseconds under a second, seconds with a tenth under a minute, then minutes and hours', () => {
    expect([0, 12, 999.4, 999.6, 1532.53, 30_300, 59_940, 59_960, 125_000, 120_000, 3_599_600, 3_840_000, 7_200_000].map(formatDuration)).toEqual([
      '0 ms', '12 ms', '999 ms', '1.0 s', '1.5 s', '30.3 s', '59.9 s', '1 min', '2 min 5 s', '2 min', '1 h', '1 h 4 min', '2 h',
    ]);
  });

  it('takes seconds as the receipts count them', () => {
    expect(formatSeconds(1.53253076171875)).toBe('1.5 s');
    expect(formatSeconds(0.4)).toBe('400 ms');
    expect(formatDuration(-1500)).toBe('-1.5 s');
  });
});
