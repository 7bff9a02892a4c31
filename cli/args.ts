/** A command-line usage error: exit code 2, with the message naming the flag. */
export class UsageError extends Error {
  override name = 'UsageError';
}

export interface ParsedArgs {
  command: string | undefined;
  flags: Record<string, string | boolean>;
}

/** Flags that take no value. */
const BOOLEAN_FLAGS = new Set(['json', 'accept-data-loss', 'help', 'dry-run']);

/** Parses `command --flag value --switch` (also `--flag=value`). Unknown flags are checked by the caller. */
export const parseArgs = (argv: string[]): ParsedArgs => {
  const flags: Record<string, string | boolean> = {};
  let command: string | undefined;
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    if (!arg.startsWith('--')) {
      if (command !== undefined) throw new UsageError(`unexpected argument "${arg}"`);
      command = arg;
      continue;
    }
    const [name, inline] = arg.slice(2).split(/=(.*)/s, 2) as [string, string | undefined];
    if (BOOLEAN_FLAGS.has(name)) {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) throw new UsageError(`--${name} needs a value`);
    if (inline === undefined) i += 1;
    flags[name] = value;
  }
  return { command, flags };
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
