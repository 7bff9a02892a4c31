export default async function globalTeardown(): Promise<void> {
  await globalThis.__PGFO_EMULATOR__?.stop();
}
