import { formatBytes, formatDuration, formatSeconds } from '../shared/units';

/**
 * The drill's measured figures as text for people (the console summary and the HTML page), "n/a"
 * where nothing was measured. The JSON report keeps the raw numbers. Pure.
 */
export const durationText = (ms: number | null): string => (ms === null ? 'n/a' : formatDuration(ms));

export const bytesText = (bytes: number | null): string => (bytes === null ? 'n/a' : formatBytes(bytes));

/** The receipt's loss estimate, size and age of the writes lost: "2.7 MB / 1.5 s". */
export const lossText = (bytes: number | null, seconds: number | null): string => `${bytesText(bytes)} / ${seconds === null ? 'n/a' : formatSeconds(seconds)}`;
