#!/usr/bin/env node
// `npm run test:profile`: runs every step of `npm test` and then `npm run test:drills`, exactly as
// package.json defines them, times each, and writes docs/test-profile.md: where the time goes, the
// slowest suites and tests, against the budget (npm test under 10 minutes on 2 cores, CI under 40).
const { spawnSync } = require('node:child_process');
const { mkdtempSync, readFileSync, rmSync, writeFileSync } = require('node:fs');
const { cpus, tmpdir } = require('node:os');
const { join } = require('node:path');

const root = join(__dirname, '..');
const scripts = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts;
const out = join(root, 'docs', 'test-profile.md');
const work = mkdtempSync(join(tmpdir(), 'pgfo-profile-'));

/** Runs one shell step in the project, its output passed through; returns seconds and exit code. */
const run = (command) => {
  process.stdout.write(`\nprofile: ${command}\n`);
  const started = process.hrtime.bigint();
  const result = spawnSync(command, { cwd: root, shell: true, stdio: 'inherit' });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { command, seconds, status: result.status ?? 1 };
};

/** A jest step run with its report written to a file, and that report read back. */
const runJest = (name, command) => {
  const file = join(work, `${name}.json`);
  const step = run(`${command} --json --outputFile=${file}`);
  let report = null;
  try {
    report = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    // jest wrote no report (it failed to start): the step's exit code says so
  }
  return { ...step, command, report };
};

const s = (seconds) => {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const whole = Math.round(seconds);
  return `${Math.floor(whole / 60)} min ${whole % 60} s`;
};
const rel = (file) => file.slice(root.length + 1);

const suiteRows = (report) =>
  report.testResults
    .map((t) => ({ file: rel(t.name), seconds: (t.endTime - t.startTime) / 1000, tests: t.assertionResults.length }))
    .sort((a, b) => b.seconds - a.seconds);

const testRows = (report) =>
  report.testResults
    .flatMap((t) => t.assertionResults.map((a) => ({ file: rel(t.name), title: a.title, seconds: (a.duration ?? 0) / 1000 })))
    .sort((a, b) => b.seconds - a.seconds);

const jestSection = (title, step, slowest) => {
  if (!step.report) return [`## ${title}`, '', `\`${step.command}\` produced no report (exit ${step.status}).`, ''];
  const suites = suiteRows(step.report);
  const total = suites.reduce((sum, x) => sum + x.seconds, 0);
  const r = step.report;
  return [
    `## ${title}`,
    '',
    `\`${step.command}\`: ${r.numPassedTests} of ${r.numTotalTests} tests passed in ${r.numTotalTestSuites} suites, ${s(step.seconds)} wall clock; the suites' own times add up to ${s(total)}.`,
    '',
    '| suite | tests | time | share |',
    '|---|---:|---:|---:|',
    ...suites.slice(0, slowest).map((x) => `| \`${x.file}\` | ${x.tests} | ${s(x.seconds)} | ${((100 * x.seconds) / total).toFixed(0)} % |`),
    ...(suites.length > slowest ? [`| ${suites.length - slowest} other suites | ${suites.slice(slowest).reduce((n, x) => n + x.tests, 0)} | ${s(suites.slice(slowest).reduce((n, x) => n + x.seconds, 0))} | |`] : []),
    '',
    'Slowest tests:',
    '',
    ...testRows(step.report)
      .slice(0, 8)
      .map((t) => `- ${s(t.seconds)}: ${t.title} (\`${t.file}\`)`),
    '',
  ];
};

// npm test: "npm run typecheck && npm run lint && jest …", each step timed on its own.
const steps = scripts.test.split('&&').map((c) => c.trim());
const results = steps.map((command) => (command.startsWith('jest') ? runJest('test', command) : run(command)));
const drills = runJest('drills', scripts['test:drills'].trim());
rmSync(work, { recursive: true, force: true });

const testSeconds = results.reduce((sum, x) => sum + x.seconds, 0);
const failed = [...results, drills].filter((x) => x.status !== 0);
const lines = [
  '# Where the test time goes',
  '',
  `Written by \`npm run test:profile\` on ${new Date().toISOString().slice(0, 10)}: Node ${process.version}, ${cpus().length} cores.`,
  'Budget: `npm test` under 10 minutes on 2 cores from a fresh clone (emulator installed); `.ci/run`, which',
  'also runs `npm run test:drills`, under 40 minutes. Times are one run\'s; a busy machine stretches them.',
  '',
  '| command | step | time |',
  '|---|---|---:|',
  ...results.map((x) => `| \`npm test\` | \`${x.command}\` | ${s(x.seconds)} |`),
  `| \`npm test\` | total | **${s(testSeconds)}** |`,
  `| \`npm run test:drills\` | \`${drills.command}\` | **${s(drills.seconds)}** |`,
  '',
  ...(failed.length ? [`**Failed steps:** ${failed.map((x) => `\`${x.command}\` (exit ${x.status})`).join(', ')}.`, ''] : []),
  ...jestSection('`npm test`: unit and integration suites', results.find((x) => x.report !== undefined) ?? { command: 'jest', status: 1, report: null }, 12),
  ...jestSection('`npm run test:drills`: whole drills and multi-leg sequences', drills, 12),
];
writeFileSync(out, `${lines.join('\n')}\n`);
process.stdout.write(`\nprofile: wrote ${rel(out)} (npm test ${s(testSeconds)}, test:drills ${s(drills.seconds)})\n`);
process.exit(failed.length ? 1 : 0);
