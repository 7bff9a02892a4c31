/**
 * Three projects (README, "Tests"):
 * - unit: no network, no PostgreSQL;
 * - integration: each behaviour proven once on real PostgreSQL 15 replication and the AWS emulator
 *   (`npm test` runs unit and integration, two suites at a time, each worker with its own emulator);
 * - drills: whole drills and long multi-leg sequences (`npm run test:drills`, one suite at a time).
 */
const transform = { '^.+\\.(t|j|mj)sx?$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }] };
const common = {
  transform,
  // middy is ESM-only: let the transform compile it for jest's CommonJS runtime.
  transformIgnorePatterns: ['/node_modules/(?!@middy/)'],
  setupFiles: ['<rootDir>/test/setup/polyfills.ts'],
  testEnvironment: 'node',
};
/** Suites on the real topology: one emulator per jest worker (test/setup/global-setup.ts). */
const real = {
  ...common,
  setupFiles: [...common.setupFiles, '<rootDir>/test/setup/worker-emulator.ts'],
  globalSetup: '<rootDir>/test/setup/global-setup.ts',
  globalTeardown: '<rootDir>/test/setup/global-teardown.ts',
};
module.exports = {
  testTimeout: 60000,
  projects: [
    { ...common, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...real, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
    { ...real, displayName: 'drills', testMatch: ['<rootDir>/test/drills/**/*.test.ts'] },
  ],
};
