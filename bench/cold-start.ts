import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BuildOptions } from 'esbuild';
import { buildNaive, bundle, deployedBuildOptions, functionEntries, PROJECT_ROOT, type BundleAnalysis } from './bundles';
import { progress } from './progress';
import { median, ratio, round, roundOrNull } from './stats';
import { LOCAL_STAGE } from '../shared/config/stage-guard';

export interface FunctionBundle {
  name: string;
  zipBytes: number;
  bytes: number;
  deflatedBytes: number;
  loadMs: number;
  awsClients: string[];
  /** Clients bundled although the function's IAM role allows none of that service's actions. */
  unusedClients: string[];
  /** The largest packages in the bundle (bytes of minified output). */
  top: Array<{ name: string; bytes: number }>;
}

export interface ColdStartResult {
  loads: number;
  functions: FunctionBundle[];
  naive: { bytes: number; deflatedBytes: number; loadMs: number; awsClients: string[]; top: Array<{ name: string; bytes: number }> };
  largestZipBytes: number;
  /** Largest function's deflated bundle / the naive bundle's. */
  largestSizeRatio: number | null;
  /** Slowest function's median load time / the naive bundle's. */
  slowestLoadRatio: number | null;
}

/** IAM action prefix → the SDK client that calls it. */
const CLIENT_OF_SERVICE: Record<string, string> = {
  cloudwatch: '@aws-sdk/client-cloudwatch',
  dynamodb: '@aws-sdk/client-dynamodb',
  ec2: '@aws-sdk/client-ec2',
  events: '@aws-sdk/client-eventbridge',
  lambda: '@aws-sdk/client-lambda',
  route53: '@aws-sdk/client-route-53',
  ssm: '@aws-sdk/client-ssm',
  states: '@aws-sdk/client-sfn',
};

type Template = { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };

/** The SDK clients each function's IAM role lets it use, from the packaged template. */
const clientsAllowed = (template: Template, functionName: string): Set<string> => {
  const id = `${functionName.charAt(0).toUpperCase()}${functionName.slice(1)}LambdaFunction`;
  const roleRef = template.Resources[id]?.Properties.Role as { 'Fn::GetAtt'?: [string, string] } | undefined;
  const role = template.Resources[roleRef?.['Fn::GetAtt']?.[0] ?? ''];
  const policies = (role?.Properties.Policies ?? []) as Array<{ PolicyDocument: { Statement: Array<{ Action: string | string[] }> } }>;
  const actions = policies.flatMap((p) => p.PolicyDocument.Statement.flatMap((s) => [s.Action].flat()));
  return new Set(actions.map((a) => CLIENT_OF_SERVICE[a.split(':')[0] ?? '']).filter((c): c is string => c !== undefined));
};

const withoutConfigFile = (env: NodeJS.ProcessEnv): NodeJS.ProcessEnv => {
  const { PGFO_CONFIG_FILE: _ignored, ...rest } = env;
  return rest;
};

const packageService = (dir: string): Template => {
  const result = spawnSync('npx', ['serverless', 'package', '--package', dir, '--stage', LOCAL_STAGE], {
    cwd: PROJECT_ROOT,
    encoding: 'utf8',
    // The example configuration (PGFO_CONFIG_FILE unset: loopback hosts, made-up ids, which only the
    // local stage packages), no AWS credentials: packaging is offline.
    env: { ...withoutConfigFile(process.env), SLS_TELEMETRY_DISABLED: '1', AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' },
    timeout: 300000,
  });
  if (result.status !== 0) throw new Error(`serverless package failed:\n${result.stdout}\n${result.stderr}`);
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
};

const unzip = (zip: string, into: string): void => {
  const result = spawnSync('python3', ['-m', 'zipfile', '-e', zip, into], { encoding: 'utf8' });
  if (result.status !== 0) throw new Error(`cannot extract ${zip}: ${result.stderr}`);
};

/** Milliseconds `require(file)` takes in a fresh Node process (module loading and evaluation only). */
const LOAD_SCRIPT = 'const t=process.hrtime.bigint();require(process.argv[1]);process.stdout.write(String(Number(process.hrtime.bigint()-t)/1e6))';
const loadOnce = (file: string): number => {
  const result = spawnSync(process.execPath, ['-e', LOAD_SCRIPT, file], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH ?? '', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  });
  if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr}`);
  return Number(result.stdout);
};

const top = (analysis: BundleAnalysis) => analysis.packages.slice(0, 5);

interface Packaged {
  name: string;
  file: string;
  zipBytes: number;
  analysis: BundleAnalysis;
  unusedClients: string[];
}

/** Every function's zip unpacked, its bundle analysed with the deployed options, its clients checked against its role. */
const unpackFunctions = async (dir: string, template: Template, options: BuildOptions): Promise<Packaged[]> => {
  const packaged: Packaged[] = [];
  for (const { name, entry } of functionEntries()) {
    const zip = join(dir, 'package', `${name}.zip`);
    unzip(zip, join(dir, name));
    const analysis = await bundle(options, { file: entry });
    const allowed = clientsAllowed(template, name);
    packaged.push({
      name,
      file: join(dir, name, entry.replace(/\.ts$/, '.js')),
      zipBytes: statSync(zip).size,
      analysis,
      unusedClients: analysis.awsClients.filter((c) => !allowed.has(c)),
    });
  }
  return packaged;
};

/** Median load time per bundle, the bundles taken in turn each round so that machine noise falls on all alike. */
const medianLoadTimes = (targets: Array<{ name: string; file: string }>, loads: number): Map<string, number> => {
  const times = new Map<string, number[]>(targets.map((t) => [t.name, []]));
  for (let pass = 0; pass < loads; pass += 1) {
    for (const target of targets) times.get(target.name)!.push(loadOnce(target.file));
  }
  return new Map([...times].map(([name, values]) => [name, round(median(values))]));
};

/**
 * Section 3: each function's deployed bundle (packaged by `serverless package` into a temporary
 * directory) against a naive bundle of every client the project uses plus pg: zip size, what fills
 * the bundle (esbuild metafile) and the median time a fresh Node process takes to load it.
 */
export const measureColdStart = async (loads: number): Promise<ColdStartResult> => {
  const dir = mkdtempSync(join(tmpdir(), 'pgfo-bench-package-'));
  try {
    progress('cold start: serverless package (offline)');
    const template = packageService(join(dir, 'package'));
    const options = deployedBuildOptions();
    const naiveFile = join(dir, 'naive', 'naive.js');
    const naive = await buildNaive(options, naiveFile);
    const functions = await unpackFunctions(dir, template, options);
    progress(`cold start: loading ${functions.length} function bundles and the naive bundle ${loads} times each`);
    const loadMs = medianLoadTimes([...functions, { name: '(naive)', file: naiveFile }], loads);
    const rows: FunctionBundle[] = functions.map((f) => ({
      name: f.name,
      zipBytes: f.zipBytes,
      bytes: f.analysis.bytes,
      deflatedBytes: f.analysis.deflatedBytes,
      loadMs: loadMs.get(f.name)!,
      awsClients: f.analysis.awsClients,
      unusedClients: f.unusedClients,
      top: top(f.analysis),
    }));
    const largest = rows.reduce((a, b) => (b.deflatedBytes > a.deflatedBytes ? b : a));
    const slowest = rows.reduce((a, b) => (b.loadMs > a.loadMs ? b : a));
    const naiveLoad = loadMs.get('(naive)')!;
    return {
      loads,
      functions: rows,
      naive: { bytes: naive.bytes, deflatedBytes: naive.deflatedBytes, loadMs: naiveLoad, awsClients: naive.awsClients, top: top(naive) },
      largestZipBytes: Math.max(...rows.map((r) => r.zipBytes)),
      largestSizeRatio: roundOrNull(ratio(largest.deflatedBytes, naive.deflatedBytes), 2),
      slowestLoadRatio: roundOrNull(ratio(slowest.loadMs, naiveLoad), 2),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
