import type { Config } from '@jest/types';
import { startEmulator, type Emulator } from '../../local/emulator';

declare global {
  var __PGFO_EMULATORS__: Emulator[] | undefined;
}

/** Where global setup leaves the emulators' endpoints for the workers (comma-separated, by worker). */
export const EMULATORS_ENV = 'PGFO_TEST_EMULATORS';

/**
 * One emulator per jest worker: suites reset their emulator in their own setup, so two suites
 * running at once must never share one (test/setup/worker-emulator.ts picks the worker's).
 */
export default async function globalSetup(config: Config.GlobalConfig): Promise<void> {
  const workers = config.maxWorkers > 0 ? config.maxWorkers : 1;
  const emulators = await Promise.all(Array.from({ length: workers }, () => startEmulator()));
  globalThis.__PGFO_EMULATORS__ = emulators;
  process.env[EMULATORS_ENV] = emulators.map((e) => e.endpoint).join(',');
}
