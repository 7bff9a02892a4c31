/** Markdown building blocks for docs/benchmarks.md. Pure. */

export type Cell = string | number | null | undefined;
export type Align = 'left' | 'right';

/** A cell's text: numbers as given, missing values as an en dash, pipes and newlines escaped. */
export const cellText = (cell: Cell): string => {
  if (cell === null || cell === undefined || (typeof cell === 'number' && !Number.isFinite(cell))) return '–';
  return String(cell).replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
};

/**
 * A GitHub-flavoured markdown table. Columns are right-aligned when every value in them is a
 * number (or missing), unless `align` says otherwise.
 */
export const table = (headers: string[], rows: Cell[][], align?: Align[]): string => {
  const alignment = headers.map((_, i) => {
    const given = align?.[i];
    if (given) return given;
    const values = rows.map((row) => row[i]).filter((cell) => cell !== null && cell !== undefined);
    return values.length > 0 && values.every((cell) => typeof cell === 'number') ? 'right' : 'left';
  });
  const line = (cells: string[]) => `| ${cells.join(' | ')} |`;
  return [
    line(headers.map(cellText)),
    line(alignment.map((a) => (a === 'right' ? '---:' : '---'))),
    ...rows.map((row) => line(headers.map((_, i) => cellText(row[i])))),
  ].join('\n');
};

/** Bytes as KiB with one decimal. */
export const kib = (bytes: number | null | undefined): number | null =>
  bytes === null || bytes === undefined ? null : Math.round((bytes / 1024) * 10) / 10;

/** A fraction as a percentage with one decimal, e.g. 0.1234 → "12.3 %". */
export const percent = (fraction: number | null | undefined): string | null =>
  fraction === null || fraction === undefined || !Number.isFinite(fraction) ? null : `${(fraction * 100).toFixed(1)} %`;

/** "yes" when a figure meets its target, "no" when it does not, "–" when it could not be measured. */
export const verdict = (met: boolean | null): string => (met === null ? '–' : met ? 'yes' : 'no');
