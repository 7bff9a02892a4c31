#!/usr/bin/env node
// Builds the pgfo CLI to plain JavaScript (dist/pgfo.cjs): `npm run build`, and `npm ci` through
// `prepare`, so that an install without development dependencies (npm ci --omit=dev) runs it
// without tsx. Packages stay external: they are the runtime dependencies npm installed.
const { build } = require('esbuild');
const { join } = require('node:path');

const root = join(__dirname, '..');
build({
  entryPoints: [join(root, 'cli', 'main.ts')],
  outfile: join(root, 'dist', 'pgfo.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  // package.json engines: node >= 20 (the operator's host, not the Lambda runtime).
  target: 'node20',
  packages: 'external',
  sourcemap: false,
  logLevel: 'warning',
}).then(
  () => process.stdout.write('build: dist/pgfo.cjs\n'),
  (error) => {
    process.stderr.write(`build failed: ${error.message}\n`);
    process.exit(1);
  },
);
