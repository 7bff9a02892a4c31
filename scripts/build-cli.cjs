#!/usr/bin/env node
// Builds the pgfo CLI (dist/pgfo.cjs) and the application helper (dist/client.cjs, the package's
// `pg-regional-failover/client` export) and the writer-lease agent (dist/pgfo-agent.cjs, one file with
// its packages inside: a database host runs it with Node alone) to plain JavaScript: `npm run build`, and `npm ci` through
// `prepare`, so that an install without development dependencies (npm ci --omit=dev) runs them
// without tsx. Packages stay external: they are the runtime dependencies npm installed.
const { build } = require('esbuild');
const { join } = require('node:path');

const root = join(__dirname, '..');
const entries = [
  { source: 'cli/main.ts', output: 'dist/pgfo.cjs' },
  { source: 'client/index.ts', output: 'dist/client.cjs' },
  { source: 'cli/agent.ts', output: 'dist/pgfo-agent.cjs', standalone: true },
];
Promise.all(
  entries.map(async ({ source, output, standalone }) => {
    await build({
      entryPoints: [join(root, source)],
      outfile: join(root, output),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      // package.json engines: node >= 22 (the operator's host or the application's, not the Lambda runtime).
      target: 'node22',
      ...(standalone ? { minify: true } : { packages: 'external' }),
      sourcemap: false,
      logLevel: 'warning',
    });
    process.stdout.write(`build: ${output}\n`);
  }),
).catch((error) => {
  process.stderr.write(`build failed: ${error.message}\n`);
  process.exit(1);
});
