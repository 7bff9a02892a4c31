import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

const devDependencies = Object.keys((JSON.parse(readFileSync('package.json', 'utf8')) as { devDependencies: Record<string, string> }).devDependencies);

/**
 * A resolve hook that makes every development dependency unresolvable, as it is when npm did not
 * install it (`npm ci --omit=dev`).
 */
const withoutDevDependencies = `
    const Module = require('node:module');
    const dev = new Set(${JSON.stringify(devDependencies)});
    const resolve = Module._resolveFilename;
    Module._resolveFilename = function (request, ...rest) {
      const name = request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
      if (dev.has(name)) { const e = new Error('Cannot find module ' + request + ' (development dependency)'); e.code = 'MODULE_NOT_FOUND'; throw e; }
      return resolve.call(this, request, ...rest);
    };`;

/** Runs the built CLI as after `npm ci --omit=dev`. */
const runBuilt = (...args: string[]) => {
  const hook = `${withoutDevDependencies}
    // node -e leaves no script name in argv: put the launcher's path where Node would.
    process.argv.splice(1, 0, require.resolve('./bin/pgfo.cjs'));
    require('./bin/pgfo.cjs');`;
  return spawnSync(process.execPath, ['-e', hook, '--', ...args], { encoding: 'utf8', timeout: 60000 });
};

describe('pgfo without development dependencies', () => {
  beforeAll(() => {
    const build = spawnSync('npm', ['run', 'build'], { encoding: 'utf8', timeout: 120000 });
    expect(build.stdout).toContain('build: dist/pgfo.cjs');
    expect(build.stdout).toContain('build: dist/client.cjs');
  }, 130000);

  it('starts from dist/pgfo.cjs and prints its usage for --help', () => {
    const result = runBuilt('--help');
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(result.stdout).toMatch(/^usage: pgfo /);
  });

  it('refuses an unknown flag with exit code 2, naming it', () => {
    const result = runBuilt('status', '--bogus');
    expect(result.status).toBe(2);
    expect(result.stderr).toContain('pgfo: --bogus: unknown flag');
  });

  it('needs none of the development dependencies in the bundle it loads at start', () => {
    const bundle = readFileSync('dist/pgfo.cjs', 'utf8');
    const topLevel = [...bundle.matchAll(/^(?:var|const) \w+ = (?:__toESM\()?require\("([^"]+)"\)/gm)].map((m) => m[1]!.split('/')[0]!.startsWith('@') ? m[1]!.split('/').slice(0, 2).join('/') : m[1]!.split('/')[0]!);
    expect(topLevel.filter((name) => devDependencies.includes(name))).toEqual([]);
  });

  it('builds the application helper to dist/client.cjs, which loads without them and exports the pool', () => {
    const script = `${withoutDevDependencies}
      const client = require('./dist/client.cjs');
      process.stdout.write(JSON.stringify([typeof client.WriterPool, typeof client.reconnectReason, new client.DatabaseUnavailableError('x', 1, { cause: null }).name]));`;
    const result = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 60000 });
    expect({ status: result.status, stderr: result.stderr }).toEqual({ status: 0, stderr: '' });
    expect(JSON.parse(result.stdout)).toEqual(['function', 'function', 'DatabaseUnavailableError']);
  });
});
