#!/usr/bin/env node
// Launcher: runs the TypeScript CLI through tsx's require hook (no build step in a checkout).
require('tsx/cjs');
const { main } = require('../cli/main.ts');
main(process.argv.slice(2)).then((code) => {
  process.exitCode = code;
});
