/**
 * Last-resort cleanup of topologies that were not torn down: on process exit (synchronously) and on
 * SIGINT/SIGTERM. Handlers are installed while at least one topology is live and removed afterwards.
 *
 * Inside Jest, the global `process` is a sandbox copy that never emits 'exit' or signals, so the
 * handlers go on the real process object (obtained through Node's own module loader).
 */
import Module from 'node:module';

function realProcess(): NodeJS.Process {
  try {
    const loader = (Module as unknown as { _load?: (request: string, parent: unknown, isMain: boolean) => unknown })._load;
    const p = loader?.('process', null, false) as NodeJS.Process | undefined;
    if (p && typeof p.on === 'function' && typeof p.pid === 'number') return p;
  } catch {
    // fall back to the global
  }
  return process;
}
const proc = realProcess();
interface SyncCleanable {
  teardownSync(): void;
}

const live = new Set<SyncCleanable>();
const SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'];

function cleanupAll(): void {
  const all = [...live];
  live.clear();
  for (const t of all) {
    try {
      t.teardownSync();
    } catch {
      // keep cleaning the others
    }
  }
}

function onExit(): void {
  cleanupAll();
}

function onSignal(signal: NodeJS.Signals): void {
  cleanupAll();
  uninstall();
  // Nobody else listening: re-raise so the default action (termination) still happens.
  if (proc.listenerCount(signal) === 0) proc.kill(proc.pid, signal);
}

function install(): void {
  proc.on('exit', onExit);
  for (const s of SIGNALS) proc.on(s, onSignal);
}

function uninstall(): void {
  proc.off('exit', onExit);
  for (const s of SIGNALS) proc.off(s, onSignal);
}

export function register(t: SyncCleanable): void {
  if (live.size === 0) install();
  live.add(t);
}

export function unregister(t: SyncCleanable): void {
  if (!live.delete(t)) return;
  if (live.size === 0) uninstall();
}
