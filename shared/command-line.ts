import { parseArgs } from 'node:util';

/** A command-line mistake: exit code 2, with the message naming the flag at fault. */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** Flags of one command line: `string` flags take a value, `boolean` flags take none. */
export type FlagSpec = Record<string, { type: 'string' | 'boolean'; short?: string }>;

export interface CommandLine {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

interface Token {
  kind: string;
  name?: string;
  rawName?: string;
  value?: string | undefined;
}

const translate = (error: unknown): Error => {
  const { code, message } = error as { code?: string; message: string };
  const flag = /'(-[^' ]+)/.exec(message)?.[1];
  switch (code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return new UsageError(`${flag ?? message}: unknown flag`);
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      return new UsageError(/takes no|does not take/.test(message) ? `${flag}: takes no value` : `${flag}: needs a value`);
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(`${/'([^']+)'/.exec(message)?.[1] ?? message}: unknown argument`);
    default:
      return error as Error;
  }
};

/**
 * `node:util` parseArgs in strict mode (unknown flags, missing values and values given to switches
 * are refused), plus what it lets through: a flag given twice, an empty value, and a value that is
 * really the next flag (`--json --keep`). @throws UsageError naming the flag.
 */
export const parseCommandLine = (argv: string[], flags: FlagSpec, options: { positionals?: number } = {}): CommandLine => {
  let parsed: ReturnType<typeof parseArgs> & { tokens?: Token[] };
  try {
    parsed = parseArgs({ args: argv, options: flags, strict: true, allowPositionals: (options.positionals ?? 0) > 0, tokens: true });
  } catch (error) {
    throw translate(error);
  }
  const seen = new Set<string>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option' || token.name === undefined) continue;
    const flag = `--${token.name}`;
    if (seen.has(token.name)) throw new UsageError(`${flag}: given more than once`);
    seen.add(token.name);
    if (flags[token.name]?.type === 'string' && (token.value === undefined || token.value === '')) throw new UsageError(`${flag}: needs a value`);
  }
  if (parsed.positionals.length > (options.positionals ?? 0)) {
    throw new UsageError(`${parsed.positionals[options.positionals ?? 0]}: unknown argument`);
  }
  return { values: parsed.values as CommandLine['values'], positionals: parsed.positionals };
};
