/** Renders rows as a plain-text table with a header line; null/undefined print as "-". */
export const renderTable = (headers: string[], rows: Array<Array<string | number | boolean | null | undefined>>): string => {
  const cells = rows.map((row) => row.map((cell) => (cell === null || cell === undefined ? '-' : String(cell))));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: string[]) => values.map((v, i) => v.padEnd(widths[i] ?? 0)).join('  ').trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n');
};

/** "41.2 MB", "812 kB", "96 B" — or "-" for an unknown size. */
export const bytes = (value: number | null | undefined): string => {
  if (value === null || value === undefined) return '-';
  if (value >= 1024 * 1024) return `${(value / 1024 / 1024).toFixed(1)} MB`;
  if (value >= 1024) return `${Math.round(value / 1024)} kB`;
  return `${value} B`;
};
