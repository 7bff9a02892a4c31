import { version } from '../package.json';

/**
 * This code's release, from package.json (the one place it is written). Bundled at build time into
 * the CLI (dist/pgfo.cjs) and into every function at packaging time, so that `pgfo status` can show
 * which release each end runs: the CLI's copy and the status function's copy (the deployment).
 */
export const PGFO_VERSION: string = version;
