#!/usr/bin/env node
// Launcher. A checkout with the development dependencies runs the TypeScript sources through tsx
// (edits need no rebuild); an install without them (npm ci --omit=dev) runs dist/pgfo.cjs, the
// plain JavaScript that `npm run build` writes (npm ci runs it through `prepare`).
const { existsSync } = require('node:fs');
const { join } = require('node:path');

const resolvable = (name) => {
  try {
    require.resolve(name);
    return true;
  } catch {
    return false;
  }
};

const fromSources = existsSync(join(__dirname, '..', 'cli', 'main.ts')) && resolvable('tsx/cjs');
const built = join(__dirname, '..', 'dist', 'pgfo.cjs');
if (!fromSources && !existsSync(built)) {
  process.stderr.write('pgfo: dist/pgfo.cjs is missing: run `npm run build` (npm ci runs it)\n');
  process.exit(3);
}
if (fromSources) require('tsx/cjs');
const { main } = fromSources ? require('../cli/main.ts') : require(built);
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
