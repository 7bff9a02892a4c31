import { parseCommandLine, UsageError, type FlagSpec } from '../shared/command-line';

export { UsageError };

export interface ParsedArgs {
  command: string | undefined;
  flags: Record<string, string | boolean>;
}

/** Every flag of every command; each command then refuses the ones it does not take (expectFlags). */
const FLAGS: FlagSpec = {
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  local: { type: 'string' },
  stage: { type: 'string' },
  region: { type: 'string' },
  service: { type: 'string' },
  cluster: { type: 'string' },
  to: { type: 'string' },
  timeout: { type: 'string' },
  'accept-data-loss': { type: 'boolean' },
  reason: { type: 'string' },
  limit: { type: 'string' },
};

/** Parses `command --flag value --switch` (also `--flag=value`) strictly: unknown flags are refused here. */
export const parseArgs = (argv: string[]): ParsedArgs => {
  const { values, positionals } = parseCommandLine(argv, FLAGS, { positionals: 1 });
  const flags = Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string | boolean] => entry[1] !== undefined));
  return { command: positionals[0], flags };
};

/** Refuses flags a command does not know, naming them. */
export const expectFlags = (command: string, flags: Record<string, unknown>, allowed: string[]): void => {
  const unknown = Object.keys(flags).filter((f) => !allowed.includes(f));
  if (unknown.length > 0) throw new UsageError(`${command}: unknown option(s) ${unknown.map((f) => `--${f}`).join(', ')}`);
};

export const stringFlag = (flags: Record<string, string | boolean>, name: string): string | undefined => {
  const value = flags[name];
  return typeof value === 'string' ? value : undefined;
};

export const requiredFlag = (command: string, flags: Record<string, string | boolean>, name: string): string => {
  const value = stringFlag(flags, name);
  if (!value) throw new UsageError(`${command}: --${name} is required`);
  return value;
};

export const intFlag = (flags: Record<string, string | boolean>, name: string): number | undefined => {
  const value = stringFlag(flags, name);
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`--${name} must be a whole number (got "${value}")`);
  return Number(value);
};
