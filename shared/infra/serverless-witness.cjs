// Loaded by serverless.witness.yml through ${file(...)}: the witness's stack, generated from the
// same configuration (and code) as the control plane's (see shared/infra/serverless.cjs).
require('esbuild-register/dist/node').register({ target: 'node22' });
const { witnessForServerless } = require('./witness-stack.ts');
const { CONFIG_FILE_ENV, EXAMPLE_CONFIG_FILE } = require('../config/load.ts');

module.exports = async ({ options, resolveVariable }) => {
  const given = await resolveVariable(`env:${CONFIG_FILE_ENV}, null`);
  const configFile = given ?? EXAMPLE_CONFIG_FILE;
  const source = given ? configFile : `${configFile} (the default: ${CONFIG_FILE_ENV} is not set)`;
  // The control plane's service name: the witness's function name derives from it.
  const controlService = (await resolveVariable('env:PGFO_SERVICE, null')) ?? 'pgfo';
  const stage = await resolveVariable('sls:stage');
  return witnessForServerless(configFile, controlService, stage, source, options.region ?? undefined);
};
