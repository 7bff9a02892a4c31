import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../errors';
import { configSchema, type FailoverConfig } from './schema';
import { semanticProblems } from './rules';
import { LOCAL_STAGE, stageProblems } from './stage-guard';
import { stackRegion } from './stack-region';

/** Environment variable naming the configuration file the functions read. */
export const CONFIG_FILE_ENV = 'PGFO_CONFIG_FILE';
/** The example configuration for the local topology; the drill's default. */
export const EXAMPLE_CONFIG_FILE = 'config/clusters.example.yml';

const describe = (value: unknown): string => {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value);
  return text === undefined ? typeof value : text.length > 60 ? `${text.slice(0, 57)}...` : text;
};

/** Renders a path such as ["clusters", 0, "nodes", 1, "port"] as clusters[0].nodes[1].port. */
export const formatPath = (path: ReadonlyArray<PropertyKey>): string =>
  path.reduce<string>(
    (out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${String(key)}` : String(key)),
    '',
  ) || '(root)';

const valueAt = (root: unknown, path: ReadonlyArray<PropertyKey>): unknown =>
  path.reduce<unknown>(
    (node, key) => (node !== null && typeof node === 'object' ? (node as Record<PropertyKey, unknown>)[key] : undefined),
    root,
  );

const issueLine = (raw: unknown, issue: z.core.$ZodIssue): string => {
  const where = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') return `${where}: unknown field(s) ${issue.keys.join(', ')}`;
  return `${where}: ${issue.message} (got ${describe(valueAt(raw, issue.path))})`;
};

/**
 * Validates an already parsed configuration object.
 * @param source names the origin in error messages (usually the file path).
 * @throws ConfigError listing every bad field by path and what was expected.
 */
export const parseConfig = (raw: unknown, source: string): FailoverConfig => {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => issueLine(raw, issue));
    throw new ConfigError(`${source}: invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const problems = semanticProblems(result.data);
  if (problems.length > 0) {
    throw new ConfigError(`${source}: invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  return result.data;
};

/** Parses YAML or JSON text (JSON is YAML) and validates it. */
export const parseConfigText = (text: string, source: string): FailoverConfig => {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`${source}: not valid YAML/JSON: ${(error as Error).message}`, { cause: error });
  }
  return parseConfig(raw, source);
};

/** Reads and validates a configuration file. @throws ConfigError naming the file. */
export const loadConfigFile = (file: string): FailoverConfig => {
  let text: string;
  try {
    text = readFileSync(resolve(file), 'utf8');
  } catch (error) {
    throw new ConfigError(`${file}: cannot read configuration: ${(error as NodeJS.ErrnoException).code ?? String(error)}`, {
      cause: error,
    });
  }
  return parseConfigText(text, file);
};

/**
 * Reads the configuration a package for `stage` deploys: validated, then refused when it names this
 * machine or placeholder ids and the stage is not the local one (stageProblems).
 * @param source names the file in errors (e.g. that it is the default, no file having been given).
 * @throws ConfigError naming every such field.
 */
export const loadConfigForStage = (file: string, stage: string, source = file): FailoverConfig => {
  const config = loadConfigFile(file);
  const problems = stageProblems(config, stage);
  if (problems.length > 0) {
    throw new ConfigError(
      `${source}: not deployable to stage ${stage}:\n  ${problems.join('\n  ')}\n(only stage ${LOCAL_STAGE} accepts them: the local stack and packaging checks)`,
    );
  }
  return config;
};

let cached: { file: string; config: FailoverConfig; byRegion: Map<string, FailoverConfig> } | undefined;

/**
 * The configuration named by PGFO_CONFIG_FILE (read once per container), as the stack running this
 * invocation sees it: `controlRegion` is that stack's region (stackRegion), else the home region.
 * @throws ConfigError when the invocation runs in a region that is not one of controlRegions.
 */
export const loadConfig = (): FailoverConfig => {
  const file = process.env[CONFIG_FILE_ENV];
  if (!file) throw new ConfigError(`${CONFIG_FILE_ENV} is not set: it must name the cluster configuration file`);
  if (cached?.file !== file) cached = { file, config: loadConfigFile(file), byRegion: new Map() };
  const region = stackRegion();
  if (region === undefined || region === cached.config.controlRegion) return cached.config;
  const known = cached.byRegion.get(region);
  if (known) return known;
  if (!cached.config.controlRegions.includes(region)) {
    throw new ConfigError(`${file}: this function runs in ${region}, which is not one of controlRegions (${cached.config.controlRegions.join(', ')}): deploy the stack only to those regions`);
  }
  const config = { ...cached.config, controlRegion: region };
  cached.byRegion.set(region, config);
  return config;
};
