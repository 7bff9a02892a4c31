// esbuild plugins for the function bundles (serverless.yml: custom.esbuild.plugins).
//
// AWS SDK v3 clients describe every operation's shapes in one module (dist-es/schemas/schemas_0.js)
// as top-level arrays such as `[3, n0, _DISR, 0, [...], [[() => X, { [_xN]: _II }]]]`. A computed
// key (`[_xN]`) may run code when converted to a string, so esbuild must keep every such array
// even when no command uses it: the EC2 client keeps ≈550 KB of schemas for the three calls made.
// The keys are module-level string constants (`const _xN = "xmlName";`), so replacing each with its
// literal value changes nothing at run time and lets esbuild drop the shapes no command reaches.
const { readFile } = require('node:fs/promises');

const SCHEMA_MODULE = /[\\/]@aws-sdk[\\/]client-[^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/;
const STRING_CONSTANT = /^const (_[A-Za-z0-9_$]+) = ("(?:[^"\\\n]|\\.)*");$/gm;
// Only in key position: right after `{` or `,` of an object literal.
const COMPUTED_KEY = /([{,]\s*)\[(_[A-Za-z0-9_$]+)\]:/g;

/** Replaces computed keys that name a module-level string constant with the string itself. */
const inlineConstantKeys = (source) => {
  const constants = new Map();
  for (const [, name, literal] of source.matchAll(STRING_CONSTANT)) constants.set(name, literal);
  return source.replace(COMPUTED_KEY, (whole, before, name) => (constants.has(name) ? `${before}${constants.get(name)}:` : whole));
};

const treeShakableSdkSchemas = {
  name: 'tree-shakable-sdk-schemas',
  setup(build) {
    build.onLoad({ filter: SCHEMA_MODULE }, async (args) => ({
      contents: inlineConstantKeys(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
};

module.exports = [treeShakableSdkSchemas];
module.exports.inlineConstantKeys = inlineConstantKeys;
