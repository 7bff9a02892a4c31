import { spawn } from 'node:child_process';
import { writeFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMAND_NAMES, COMMANDS, type CommandName } from '../../cli/commands';
import { EXIT, main } from '../../cli/main';
import { resetEmulator } from '../../local/emulator';
import { startFailoverBench, type FailoverBench } from '../../local/failover-bench';
import { PGFO_VERSION } from '../../shared/version';

/** How long a command may take before the test calls it hung (plan used to print, then never exit). */
const EXIT_WITHIN_MS = 30000;

/**
 * Each command as an operator runs it after the failover below (standby_dr the writer, primary
 * fenced), with every one of its flags; none changes the writer.
 */
const AFTER_FAILOVER: Record<CommandName, { flags: Record<string, string | true>; exit: number }> = {
  status: { flags: { cluster: 'orders' }, exit: EXIT.ok },
  plan: { flags: { cluster: 'orders', to: 'standby_az2' }, exit: EXIT.negative },
  switchover: { flags: { cluster: 'orders', to: 'primary', timeout: '5', 'no-rejoin': true }, exit: EXIT.negative },
  failover: { flags: { cluster: 'orders', to: 'primary', 'accept-data-loss': true, reason: 'table test', 'accept-unfenced-by': 'tester' }, exit: EXIT.negative },
  history: { flags: { cluster: 'orders', limit: '3' }, exit: EXIT.ok },
  rejoin: { flags: { cluster: 'orders', node: 'standby_dr', 'dry-run': true, mode: 'rewind' }, exit: EXIT.negative },
  pause: { flags: { cluster: 'orders', reason: 'table test', by: 'tester' }, exit: EXIT.ok },
  resume: { flags: { cluster: 'orders', by: 'tester' }, exit: EXIT.ok },
  resolve: { flags: { cluster: 'orders', writer: 'standby_dr', reason: 'table test', by: 'tester' }, exit: EXIT.ok },
};

const argvOf = (flags: Record<string, string | true>): string[] =>
  Object.entries(flags).flatMap(([name, value]) => (value === true ? [`--${name}`] : [`--${name}`, value]));

interface Exited {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
  stdout: string;
  stderr: string;
}

/** Runs the launcher in a process of its own, as an operator does; killed if it has not exited by itself in time. */
const spawnPgfo = (argv: string[]): Promise<Exited> =>
  new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['bin/pgfo.cjs', ...argv], { stdio: ['ignore', 'pipe', 'pipe'] });
    const output = { stdout: '', stderr: '' };
    child.stdout.on('data', (chunk: Buffer) => (output.stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output.stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_WITHIN_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, ms: Date.now() - started, ...output });
    });
  });

describe('pgfo CLI against a local stack (--local)', () => {
  let bench: FailoverBench;
  let dir: string;
  let envFile: string;

  const pgfo = async (...argv: string[]) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(['--local', envFile, ...argv], { out: (t) => out.push(t), err: (t) => err.push(t) });
    return { code, out: out.join('\n'), err: err.join('\n') };
  };

  beforeAll(async () => {
    await resetEmulator(process.env.AWS_ENDPOINT_URL!);
    bench = await startFailoverBench();
    dir = mkdtempSync(join(tmpdir(), 'pgfo-cli-'));
    envFile = join(dir, 'env.json');
    const keys = ['AWS_ENDPOINT_URL', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_REGION', 'AWS_MAX_ATTEMPTS'];
    writeFileSync(envFile, JSON.stringify({ ...bench.stack.env, ...Object.fromEntries(keys.map((k) => [k, process.env[k]!])) }));
  });
  afterAll(async () => {
    await bench?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows status as a table, and exits 0 when DNS and DATABASE_URL agree with the writer', async () => {
    const { code, out } = await pgfo('status');
    expect(code).toBe(EXIT.ok);
    expect(out).toContain('cluster orders: writer primary, DNS and DATABASE_URL agree');
    // timeline, upstream, fenced, then receiver, streaming, sync
    expect(out).toMatch(/standby_az2\s+sync-standby\s+standby\s+1\s+primary\s+no\s+yes\s+yes\s+yes/);
    expect(out).toMatch(/record: generation \d+, writer primary/);
    // The local handlers are this checkout's code: the deployment's release is the CLI's.
    expect(out.split('\n')[0]).toBe(`pgfo ${PGFO_VERSION} (this CLI); deployment ${PGFO_VERSION}`);
  });

  it("shows status as JSON with the CLI's and the deployment's release", async () => {
    const { code, out } = await pgfo('--json', 'status', '--cluster', 'orders');
    expect(code).toBe(EXIT.ok);
    const report = JSON.parse(out);
    expect(report.versions).toEqual({ cli: PGFO_VERSION, deployment: PGFO_VERSION });
    expect(report.clusters.map((c: { cluster: string }) => c.cluster)).toEqual(['orders']);
  });

  it('plans as JSON for scripts, exit 1: no failover would go ahead while the primary answers', async () => {
    const { code, out } = await pgfo('--json', 'plan', '--cluster', 'orders');
    expect(code).toBe(EXIT.negative);
    expect(JSON.parse(out)).toMatchObject({ cluster: 'orders', wouldFailOver: false, candidate: { node: 'standby_az2' } });
  });

  it('exits 2 and names the problem for bad usage and invalid requests', async () => {
    expect(await pgfo('switchover', '--cluster', 'orders')).toMatchObject({ code: EXIT.usage, err: expect.stringContaining('--to is required') });
    expect(await pgfo('switchover', '--cluster', 'orders', '--to', 'nope')).toMatchObject({
      code: EXIT.usage,
      err: expect.stringContaining('to: cluster orders has no node "nope"'),
    });
    expect(await pgfo('history', '--limit', 'ten')).toMatchObject({ code: EXIT.usage, err: expect.stringContaining('--limit must be a whole number') });
    expect(await pgfo('reboot')).toMatchObject({ code: EXIT.usage, err: expect.stringContaining('unknown command "reboot"') });
  });

  it('runs an operator failover with progress and promotes the requested node', async () => {
    const { code, err, out } = await pgfo('failover', '--cluster', 'orders', '--to', 'standby_dr', '--reason', 'drill');
    expect(err).toMatch(/\[\+\d+\.\ds\] AcquireLease/);
    expect(err).toMatch(/PromoteCandidate/);
    expect(err).not.toMatch(/ConfirmOutage/);
    expect(out).toContain('failover of orders');
    expect(out).toContain('PROMOTED: standby_dr is the writer');
    expect(code).toBe(EXIT.ok);
    // The fence stopped the old primary's instance; the local power link stops its PostgreSQL.
    await bench.power.settle();
    const { out: statusOut } = await pgfo('status');
    expect(statusOut).toContain('cluster orders: writer standby_dr, DNS and DATABASE_URL agree');
    // The surviving standby was re-pointed: it streams from the new writer on its timeline.
    expect(statusOut).toMatch(/standby_az2\s+sync-standby\s+standby\s+2\s+standby_dr\s+no\s+yes\s+yes/);
    expect(statusOut).toMatch(/primary\s+primary\s+unreachable\s+-\s+-\s+yes/);
  });

  it('exits 1 for a switchover to a node that is no standby (the fenced old primary), saying why', async () => {
    const refused = await pgfo('switchover', '--cluster', 'orders', '--to', 'primary');
    expect(refused.code).toBe(EXIT.negative);
    expect(refused.out).toContain('switchover of orders: REFUSED');
    expect(refused.out).toContain('primary is not a reachable standby');
    const history = await pgfo('history', '--cluster', 'orders');
    expect(history.out).toMatch(/orders\s+switchover\s+refused/);
    expect(history.out).toMatch(/orders\s+failover\s+promoted\s+primary\s+standby_dr/);
  });

  it('gives each command every flag the table lists for it', () => {
    for (const command of COMMAND_NAMES) expect({ command, flags: Object.keys(AFTER_FAILOVER[command].flags) }).toEqual({ command, flags: Object.keys(COMMANDS[command].flags) });
  });

  it.each(COMMAND_NAMES)('%s runs in a process of its own that exits by itself with its exit code', async (command) => {
    const { flags, exit } = AFTER_FAILOVER[command];
    const exited = await spawnPgfo(['--local', envFile, command, ...argvOf(flags)]);
    // The CLI's own error lines start with "pgfo: "; none is expected.
    const errors = exited.stderr.split('\n').filter((line) => line.startsWith('pgfo: '));
    expect({ command, code: exited.code, signal: exited.signal, errors }).toEqual({ command, code: exit, signal: null, errors: [] });
    expect(exited.stdout).toContain('orders');
    expect(exited.ms).toBeLessThan(EXIT_WITHIN_MS);
  }, EXIT_WITHIN_MS + 5000);
});
