import { formatBytes, formatDuration } from '../shared/units';

/** Renders rows as a plain-text table with a header line; null/undefined print as "-". */
export const renderTable = (headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string => {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
};

/** A size for people ("812 kB", "2.7 MB"; shared/units.ts), or "-" when unknown. */
export const bytes = (value: number | null | undefined): string => (value === null || value === undefined ? '-' : formatBytes(value));

/** A duration for people ("850 ms", "1.5 s", "2 min 5 s"; shared/units.ts), or "-" when unknown. */
export const duration = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : formatDuration(ms));
