/** Progress lines on stderr (stdout stays free for anything piped), stamped with elapsed seconds. */
const started = Date.now();

export const progress = (message: string): void => {
  process.stderr.write(`[bench ${((Date.now() - started) / 1000).toFixed(0).padStart(4)} s] ${message}\n`);
};
