import { parseCommandLine, UsageError, type FlagSpec } from '../shared/command-line';
import { COMMAND_NAMES, COMMANDS, flagsOf, GLOBAL_FLAGS, isCommand, type CommandName, type FlagDefinition } from './commands';

export { UsageError };

/** A usage mistake made on a known command: its own usage is printed with the message. */
export class CommandUsageError extends UsageError {
  constructor(
    readonly command: CommandName,
    message: string,
  ) {
    super(`${command}: ${message}`);
  }
}

export type Flags = Record<string, string | boolean>;

export interface ParsedArgs {
  command: string | undefined;
  flags: Flags;
}

/**
 * What node:util's parser must know: every flag of the table, each once. A name given two kinds by
 * two commands (a switch in one, a value in another) could not be parsed: refused at start.
 */
const parserSpec = (): FlagSpec => {
  const spec: FlagSpec = {};
  for (const flags of [GLOBAL_FLAGS, ...COMMAND_NAMES.map((c) => COMMANDS[c].flags)]) {
    for (const [name, flag] of Object.entries(flags as Record<string, FlagDefinition>)) {
      const type = flag.kind === 'boolean' ? 'boolean' : 'string';
      if (spec[name] && spec[name].type !== type) throw new Error(`cli/commands.ts: --${name} is a ${spec[name].type} flag in one command and a ${type} flag in another`);
      spec[name] = { type, ...(name === 'help' ? { short: 'h' } : {}) };
    }
  }
  return spec;
};

/**
 * Parses `COMMAND --flag value --switch` (also `--flag=value`) strictly: a flag no command knows is
 * refused here, one the command does not take by `commandRequest`.
 */
export const parseArgs = (argv: string[]): ParsedArgs => {
  const { values, positionals } = parseCommandLine(argv, parserSpec(), { positionals: 1 });
  const flags = Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string | boolean] => entry[1] !== undefined));
  return { command: positionals[0], flags };
};

/** The command named on the command line. @throws UsageError for a name the table does not have. */
export const commandOf = (name: string): CommandName => {
  if (!isCommand(name)) throw new UsageError(`unknown command "${name}" (one of ${COMMAND_NAMES.join(', ')})`);
  return name;
};

const camelCase = (name: string): string => name.replace(/-(.)/g, (_, c: string) => c.toUpperCase());

const valueOf = (command: CommandName, name: string, flag: FlagDefinition, given: string | boolean): string | number | boolean => {
  if (flag.kind === 'number') {
    if (typeof given !== 'string' || !/^\d+$/.test(given)) throw new CommandUsageError(command, `--${name} must be a whole number (got "${String(given)}")`);
    return Number(given);
  }
  if (flag.choices && !flag.choices.includes(String(given))) {
    throw new CommandUsageError(command, `--${name} must be one of ${flag.choices.join(', ')} (got "${String(given)}")`);
  }
  return given;
};

/**
 * The request a command sends, built from its flags by the table: a flag the command does not take
 * or a required flag left out is refused, naming it. Global flags are not part of the request.
 */
export const commandRequest = (command: CommandName, flags: Flags): Record<string, unknown> => {
  const known = flagsOf(command);
  const unknown = Object.keys(flags).filter((name) => !Object.hasOwn(known, name));
  if (unknown.length > 0) throw new CommandUsageError(command, `${unknown.map((f) => `--${f}`).join(', ')}: not a flag of ${command}`);
  const request: Record<string, unknown> = {};
  for (const [name, flag] of Object.entries(COMMANDS[command].flags as Record<string, FlagDefinition>)) {
    const given = flags[name];
    if (given === undefined && flag.kind === 'required') throw new CommandUsageError(command, `--${name} is required`);
    const value = given === undefined ? flag.fallback?.() : valueOf(command, name, flag, given);
    if (value !== undefined) request[flag.field ?? camelCase(name)] = value;
  }
  return request;
};

/** A global flag's value (`--local`, `--stage`, ...), or its default; undefined when it has none. */
export const globalFlag = (flags: Flags, name: keyof typeof GLOBAL_FLAGS): string | undefined => {
  const value = flags[name];
  const flag: FlagDefinition = GLOBAL_FLAGS[name];
  return typeof value === 'string' ? value : flag.default;
};
