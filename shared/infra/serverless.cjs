// Loaded by serverless.yml through ${file(...)}: compiles the TypeScript generator on the fly, so
// the template is generated from the same code (and the same configuration) the functions use.
require('esbuild-register/dist/node').register({ target: 'node22' });
const { forServerless } = require('./resources.ts');
const { CONFIG_FILE_ENV, EXAMPLE_CONFIG_FILE } = require('../config/load.ts');

// Without PGFO_CONFIG_FILE the example (loopback hosts, placeholder ids) is packaged: only stage
// `local` accepts it, and any other stage is refused with every such field named (forServerless).
// `--region` names the control region whose stack is packaged (default: the home region,
// controlRegions[0]); any other region is refused with controlRegions named.
module.exports = async ({ options, resolveVariable }) => {
  const given = await resolveVariable(`env:${CONFIG_FILE_ENV}, null`);
  const configFile = given ?? EXAMPLE_CONFIG_FILE;
  const source = given ? configFile : `${configFile} (the default: ${CONFIG_FILE_ENV} is not set)`;
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return forServerless(configFile, service, stage, source, options.region ?? undefined);
};
