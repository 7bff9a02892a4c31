/**
 * Sizes and durations for people: reasons, reports, the CLI's text. JSON outputs keep raw numbers
 * (bytes, milliseconds): they are the contract with scripts; these are only for text a person reads.
 * Pure.
 */

/**
 * Sizes count in powers of 1024 and are written kB, MB, GB, TB, as PostgreSQL writes them
 * (`pg_size_pretty`, `wal_keep_size = '32MB'`), so that a figure here reads like the server's own.
 */
const SIZE_UNITS = ['kB', 'MB', 'GB', 'TB'] as const;
const STEP = 1024;

/** One decimal below 10 (2.8 MB), none from 10 on (41 MB): two or three significant digits. */
const scaled = (value: number): string => (value < 9.95 ? value.toFixed(1) : value.toFixed(0));

/** "96 B", "1.5 kB", "812 kB", "2.8 MB", "41 MB", "1.2 GB". */
export const formatBytes = (bytes: number): string => {
  if (!Number.isFinite(bytes)) return String(bytes);
  if (bytes < 0) return `-${formatBytes(-bytes)}`;
  if (Math.round(bytes) < STEP) return `${Math.round(bytes)} B`;
  let value = bytes / STEP;
  let unit = 0;
  // Moves up while the rounded figure would read 1024 or more of this unit ("1024 kB" is "1.0 MB").
  while (unit < SIZE_UNITS.length - 1 && Number(scaled(value)) >= STEP) {
    value /= STEP;
    unit += 1;
  }
  return `${scaled(value)} ${SIZE_UNITS[unit]}`;
};

/**
 * "850 ms", "1.5 s", "30.3 s", "2 min 5 s", "1 h 4 min". Under a minute a tenth of a second is
 * kept (an RTO of 30.3 s is not one of 30 s); above it, whole seconds (or minutes above an hour).
 */
export const formatDuration = (ms: number): string => {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const tenths = Math.round(ms / 100);
  if (tenths < 600) return `${(tenths / 10).toFixed(1)} s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return seconds % 60 === 0 ? `${seconds / 60} min` : `${Math.floor(seconds / 60)} min ${seconds % 60} s`;
  const minutes = Math.round(ms / 60_000);
  return minutes % 60 === 0 ? `${minutes / 60} h` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
};

/** A duration given in seconds (receipts and policies count in seconds). */
export const formatSeconds = (seconds: number): string => formatDuration(seconds * 1000);
