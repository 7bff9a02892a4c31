/**
 * Small statistics for benchmark runs. Pure: numbers in, numbers out. Benchmarks report medians
 * (robust to the odd slow run on a noisy 2-core machine) and ratios measured in the same run.
 */

/** The median of `values` (mean of the two middle values for an even count). @throws on an empty list. */
export const median = (values: readonly number[]): number => {
  if (values.length === 0) throw new Error('median of no values');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  // toPrecision drops binary noise from the mean (21.3 and 21.6 give 21.45, not 21.450000000000003).
  return sorted.length % 2 === 1 ? sorted[mid]! : Number(((sorted[mid - 1]! + sorted[mid]!) / 2).toPrecision(12));
};

/**
 * The value below which `p` percent of `values` fall (nearest rank: always an observed value).
 * @throws on an empty list or p outside 0..100.
 */
export const percentile = (values: readonly number[], p: number): number => {
  if (values.length === 0) throw new Error('percentile of no values');
  if (p < 0 || p > 100) throw new Error(`percentile ${p} is outside 0..100`);
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
};

/** `value / reference`, or null when the reference is zero or either is not a finite number. */
export const ratio = (value: number, reference: number): number | null =>
  Number.isFinite(value) && Number.isFinite(reference) && reference !== 0 ? value / reference : null;

/** Rounds to `digits` decimals (for reports; keeps JSON readable). */
export const round = (value: number, digits = 1): number => {
  const scale = 10 ** digits;
  return Math.round(value * scale) / scale;
};

/** `round` that passes null through (a ratio that could not be computed). */
export const roundOrNull = (value: number | null, digits = 1): number | null => (value === null ? null : round(value, digits));

/** Minimum, median and maximum of a sample, with its size. */
export interface Spread {
  n: number;
  min: number;
  median: number;
  max: number;
}

export const spread = (values: readonly number[]): Spread => ({
  n: values.length,
  min: Math.min(...values),
  median: median(values),
  max: Math.max(...values),
});

/**
 * Each part's share of a total, by name: parts with the same name are summed first (a state
 * entered twice counts once with both durations). Shares are fractions of `total`, so the parts
 * need not add up to it (the rest is time spent between parts).
 */
export const shares = (parts: ReadonlyArray<{ name: string; ms: number }>, total: number): Array<{ name: string; ms: number; share: number }> => {
  const sums = new Map<string, number>();
  for (const part of parts) sums.set(part.name, (sums.get(part.name) ?? 0) + part.ms);
  return [...sums].map(([name, ms]) => ({ name, ms, share: total > 0 ? ms / total : 0 }));
};

/** Median of each named part across runs (a part missing from a run counts as 0 there). */
export const medianParts = (runs: ReadonlyArray<ReadonlyArray<{ name: string; ms: number }>>): Array<{ name: string; ms: number }> => {
  const names: string[] = [];
  for (const run of runs) for (const part of run) if (!names.includes(part.name)) names.push(part.name);
  return names.map((name) => ({
    name,
    ms: median(runs.map((run) => run.filter((p) => p.name === name).reduce((sum, p) => sum + p.ms, 0))),
  }));
};
