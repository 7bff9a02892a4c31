import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { build, type BuildOptions, type Metafile } from 'esbuild';
import { parseDocument } from 'yaml';

/** The project root (bench/ is one level down). */
export const PROJECT_ROOT = resolve(__dirname, '..');

interface ServiceFile {
  custom?: { esbuild?: Record<string, unknown> };
  functions?: Record<string, { handler?: string }>;
}

/** serverless.yml as plain data (its ${…} variables and !Ref tags are left unresolved). */
const serviceFile = (): ServiceFile =>
  parseDocument(readFileSync(join(PROJECT_ROOT, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }).toJS() as ServiceFile;

/** Every function's name and the TypeScript file its handler lives in. */
export const functionEntries = (): Array<{ name: string; entry: string }> =>
  Object.entries(serviceFile().functions ?? {}).flatMap(([name, fn]) =>
    fn.handler ? [{ name, entry: `${fn.handler.replace(/\.[^.]+$/, '')}.ts` }] : [],
  );

/**
 * The esbuild options serverless-esbuild uses for the functions, read from serverless.yml's
 * custom.esbuild (its own keys such as `exclude` dropped, a `plugins` file loaded), so the bench
 * analyses the very bundles that are deployed.
 */
export const deployedBuildOptions = (): BuildOptions => {
  const { exclude: _exclude, packager: _packager, plugins, config: _config, ...options } = serviceFile().custom?.esbuild ?? {};
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- the plugins file serverless.yml names, loaded as serverless-esbuild loads it
  const loaded = typeof plugins === 'string' ? (require(join(PROJECT_ROOT, plugins)) as BuildOptions['plugins']) : undefined;
  return { ...(options as BuildOptions), ...(loaded ? { plugins: loaded } : {}) };
};

export interface BundleAnalysis {
  bytes: number;
  /** Raw-deflate size (level 9) of the bundle: comparable across bundles however they are zipped. */
  deflatedBytes: number;
  /** Bytes in the output per package (node_modules name, or the project's top-level folder). */
  packages: Array<{ name: string; bytes: number }>;
  /** The @aws-sdk/client-* packages the bundle contains. */
  awsClients: string[];
}

const packageOf = (input: string): string => {
  const inModules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return inModules ? inModules[1]! : (input.split('/')[0] ?? input);
};

/** Sums a metafile's single output by package. Pure. */
export const analyseMetafile = (metafile: Metafile): Omit<BundleAnalysis, 'deflatedBytes'> => {
  const output = Object.values(metafile.outputs)[0];
  if (!output) throw new Error('metafile has no output');
  const sizes = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output.inputs)) {
    const name = packageOf(input);
    sizes.set(name, (sizes.get(name) ?? 0) + bytesInOutput);
  }
  const packages = [...sizes].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  return {
    bytes: output.bytes,
    packages,
    awsClients: packages.filter((p) => p.name.startsWith('@aws-sdk/client-') && p.bytes > 0).map((p) => p.name).sort(),
  };
};

/** Bundles one entry (a file, or source text) in memory with `options` and analyses the result. */
export const bundle = async (options: BuildOptions, entry: { file: string } | { source: string }): Promise<BundleAnalysis> => {
  const result = await build({
    ...options,
    ...('file' in entry
      ? { entryPoints: [join(PROJECT_ROOT, entry.file)] }
      : { stdin: { contents: entry.source, resolveDir: PROJECT_ROOT, sourcefile: 'naive-entry.ts', loader: 'ts' } }),
    absWorkingDir: PROJECT_ROOT,
    outfile: join(PROJECT_ROOT, '.bench-out.js'),
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles?.[0]?.contents ?? new Uint8Array();
  return { ...analyseMetafile(result.metafile), deflatedBytes: deflateRawSync(code, { level: 9 }).length };
};

/** The AWS SDK clients the project depends on (package.json). */
export const projectAwsClients = (): string[] => {
  const manifest = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
  return Object.keys(manifest.dependencies ?? {}).filter((name) => name.startsWith('@aws-sdk/client-')).sort();
};

/**
 * The naive reference: one entry that re-exports every client the project uses, whole, plus pg, the
 * bundle every function would carry if nothing were split or tree-shaken.
 */
export const naiveEntrySource = (clients: string[]): string =>
  [...clients.map((client, i) => `export * as client${i} from '${client}';`), `export * as pg from 'pg';`].join('\n');

/** Builds the naive bundle to `outfile` (for load timing) and analyses it. */
export const buildNaive = async (options: BuildOptions, outfile: string): Promise<BundleAnalysis> => {
  const source = naiveEntrySource(projectAwsClients());
  await build({
    ...options,
    stdin: { contents: source, resolveDir: PROJECT_ROOT, sourcefile: 'naive-entry.ts', loader: 'ts' },
    absWorkingDir: PROJECT_ROOT,
    outfile,
    logLevel: 'silent',
  });
  return bundle(options, { source });
};
