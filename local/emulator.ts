import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from './free-port';

/** The project's virtualenv holding moto (scripts/install-emulator.sh creates it). */
const projectRoot = resolve(__dirname, '..');
const venvDir = () => resolve(projectRoot, process.env.MOTO_VENV ?? '.venv/moto');
const motoServer = () => join(venvDir(), 'bin', 'moto_server');
const venvPython = () => join(venvDir(), 'bin', 'python');
/** moto served one request at a time, so conditional writes are atomic as in DynamoDB. */
const serverScript = join(projectRoot, 'scripts', 'emulator-server.py');

/** Environment that points every AWS SDK client at the emulator. */
export const emulatorEnv = (endpoint: string): Record<string, string> => ({
  AWS_ENDPOINT_URL: endpoint,
  AWS_ACCESS_KEY_ID: 'emulator',
  AWS_SECRET_ACCESS_KEY: 'emulator',
  AWS_REGION: 'us-east-1',
  // The emulator answers 500 for unsupported calls: retrying only slows the failure down.
  AWS_MAX_ATTEMPTS: '1',
  // A run on a Node older than the SDK's supported ones would print its warning on every start.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

export interface Emulator {
  endpoint: string;
  pid: number;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** Installs moto into the project's virtualenv when it is not there yet (≈30 s once). */
export const ensureEmulatorInstalled = (): void => {
  if (existsSync(motoServer())) return;
  process.stderr.write('emulator: moto is not installed yet; running scripts/install-emulator.sh\n');
  const result = spawnSync('bash', [join(projectRoot, 'scripts', 'install-emulator.sh')], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error('emulator: scripts/install-emulator.sh failed (see its output above)');
};

const waitUntilAnswering = async (endpoint: string, child: ChildProcess, timeoutMs: number): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`emulator: the moto server exited with code ${child.exitCode}`);
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(1000) });
      if (response.ok) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`emulator: the moto server did not answer on ${endpoint} within ${timeoutMs} ms`);
};

/**
 * Starts moto in server mode on a free loopback port and waits until it answers. `detached` (the
 * drill's --keep) lets it outlive this process: its own process group, no output pipe, not killed
 * on exit; `stop()` still ends it.
 */
export const startEmulator = async (options: { timeoutMs?: number; detached?: boolean } = {}): Promise<Emulator> => {
  ensureEmulatorInstalled();
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const detached = options.detached ?? false;
  const child = spawn(venvPython(), [serverScript, '127.0.0.1', String(port)], {
    stdio: ['ignore', 'ignore', detached ? 'ignore' : 'pipe'],
    detached,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const killOnExit = () => child.kill('SIGKILL');
  if (!detached) process.once('exit', killOnExit);
  try {
    await waitUntilAnswering(endpoint, child, options.timeoutMs ?? 20000);
  } catch (error) {
    child.kill('SIGKILL');
    throw new Error(`${(error as Error).message}\n${stderr}`);
  }
  if (detached) child.unref();
  return {
    endpoint,
    pid: child.pid ?? -1,
    reset: () => resetEmulator(endpoint),
    stop: async () => {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exited;
      clearTimeout(timer);
    },
  };
};

/** Clears every service's state (≈3 ms). */
export const resetEmulator = async (endpoint: string): Promise<void> => {
  const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST', signal: AbortSignal.timeout(5000) });
  if (!response.ok) throw new Error(`emulator: reset answered HTTP ${response.status}`);
};
