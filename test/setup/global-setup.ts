import { emulatorEnv, startEmulator, type Emulator } from '../../local/emulator';

declare global {
  var __PGFO_EMULATOR__: Emulator | undefined;
}

/** One emulator for the whole integration run; suites reset it in their own setup. */
export default async function globalSetup(): Promise<void> {
  const emulator = await startEmulator();
  globalThis.__PGFO_EMULATOR__ = emulator;
  Object.assign(process.env, emulatorEnv(emulator.endpoint));
}
