import { COMMAND_NAMES, COMMANDS, GLOBAL_FLAGS, type CommandName, type FlagDefinition } from './commands';

/** Exit codes scripts can rely on (the usage text lists them from here). */
export const EXIT = { ok: 0, negative: 1, usage: 2, error: 3 } as const;

const EXIT_MEANING: Record<keyof typeof EXIT, string> = {
  ok: 'done (plan: a failover would go ahead)',
  negative: 'refused, aborted, not promoted; status: the endpoints disagree with the writer; plan: a failover would not go ahead',
  usage: 'usage error or invalid request (the message names the flag or field)',
  error: 'an error while running',
};

const WIDTH = 100;
/** Where a command's synopsis and summary start in the usage. */
const INDENT = ' '.repeat(13);

/**
 * Breaks `text` (words, or units that stay whole such as `[--to NODE]`) into lines of at most WIDTH
 * columns: the first starts with `first`, the others with `rest`.
 */
const wrap = (text: string | string[], first: string, rest = first): string[] =>
  (typeof text === 'string' ? text.split(' ') : text).reduce<string[]>((lines, word) => {
    const last = lines.at(-1);
    if (last === undefined) return [`${first}${word}`];
    if (last.length + 1 + word.length <= WIDTH) lines[lines.length - 1] = `${last} ${word}`;
    else lines.push(`${rest}${word}`);
    return lines;
  }, []);

const flagText = (name: string, flag: FlagDefinition): string => {
  const value = flag.choices ? flag.choices.join('|') : flag.value;
  const text = value ? `--${name} ${value}` : `--${name}`;
  return flag.kind === 'required' ? text : `[${text}]`;
};

/** `--cluster C`, `[--to NODE]`: a command's flags as its synopsis shows them. */
export const synopsis = (command: CommandName): string[] =>
  Object.entries(COMMANDS[command].flags as Record<string, FlagDefinition>).map(([name, flag]) => flagText(name, flag));

const flagLines = (flags: Record<string, FlagDefinition>): string[] => {
  const names = Object.entries(flags).map(([name, flag]) => flagText(name, flag).replace(/^\[(.*)\]$/, '$1'));
  const width = Math.max(...names.map((n) => n.length)) + 2;
  return Object.values(flags).flatMap((flag, i) =>
    wrap(`${flag.description}${flag.kind === 'required' ? ' (required)' : ''}${flag.default ? ` (default ${flag.default})` : ''}`, `  ${names[i]!.padEnd(width)}`, ' '.repeat(width + 2)),
  );
};

/** The global flags are listed once, under their own heading. */
const GLOBAL_SYNOPSIS = '[global flags]';

const TAIL = [
  'global flags:',
  ...flagLines(GLOBAL_FLAGS),
  '',
  ...wrap('With --json, standard output holds one JSON document: the result, or {"error": {"name", "message"}} with the exit code below; progress and logs go to standard error.', ''),
  '',
  'exit codes:',
  ...Object.entries(EXIT).flatMap(([key, code]) => wrap(EXIT_MEANING[key as keyof typeof EXIT], `  ${code}  `, '     ')),
];

/** The whole usage: every command of the table with its flags. */
export const usage = (): string =>
  [
    `usage: pgfo ${GLOBAL_SYNOPSIS} COMMAND [flags]`,
    '       pgfo COMMAND --help',
    '',
    'commands:',
    ...COMMAND_NAMES.flatMap((name) => [...wrap(synopsis(name), `  ${name.padEnd(11)}`, INDENT), ...wrap(COMMANDS[name].summary, INDENT)]),
    '',
    ...TAIL,
  ].join('\n');

/** `usage: pgfo [global flags] COMMAND --flag ...`, wrapped. */
export const commandSynopsis = (command: CommandName): string =>
  wrap([GLOBAL_SYNOPSIS, command, ...synopsis(command)], 'usage: pgfo ', '       ').join('\n');

/** One command's usage (`pgfo COMMAND --help`). */
export const commandUsage = (command: CommandName): string =>
  [
    commandSynopsis(command),
    '',
    ...wrap(COMMANDS[command].summary, ''),
    '',
    'flags:',
    ...flagLines(COMMANDS[command].flags),
    '',
    ...TAIL,
  ].join('\n');
