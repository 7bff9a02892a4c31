// Loaded by serverless.yml through ${file(...)}: compiles the TypeScript generator on the fly, so
// the template is generated from the same code (and the same configuration) the functions use.
require('esbuild-register/dist/node').register({ target: 'node22' });
const { forServerless } = require('./resources.ts');

module.exports = async ({ resolveVariable }) => {
  const configFile = await resolveVariable('env:PGFO_CONFIG_FILE, "config/clusters.example.yml"');
  const service = await resolveVariable('self:service');
  const stage = await resolveVariable('sls:stage');
  return forServerless(configFile, service, stage);
};
