import { commandOf, commandRequest, CommandUsageError, globalFlag, parseArgs, UsageError, type Flags } from './args';
import { awsBackend, localBackend, RemoteError, type Backend } from './backends';
import { RUNNERS } from './run';
import { commandSynopsis, commandUsage, EXIT, usage } from './usage';

export { EXIT };

/**
 * The usage text, generated from the command table (cli/commands.ts): every command with its flags,
 * the global flags, the JSON error format and the exit codes. `pgfo COMMAND --help` prints one
 * command's part (commandUsage).
 */
export const USAGE = usage();

export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

const processIo: Io = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) };

const openBackend = async (flags: Flags): Promise<Backend> => {
  const local = globalFlag(flags, 'local');
  if (local) return localBackend(local);
  const region = globalFlag(flags, 'region');
  return awsBackend({ service: globalFlag(flags, 'service')!, stage: globalFlag(flags, 'stage')!, ...(region ? { region } : {}) });
};

/** Runs `use` and closes the backend whatever happens: nothing it opened keeps the process alive. */
const withBackend = async <T>(flags: Flags, use: (backend: Backend) => Promise<T>): Promise<T> => {
  const backend = await openBackend(flags);
  try {
    return await use(backend);
  } finally {
    await backend.close();
  }
};

const isUsageError = (error: unknown): boolean =>
  error instanceof UsageError || (error instanceof RemoteError && ['UsageError', 'InvalidInputError'].includes(error.errorType));

/** Says what went wrong, in JSON on standard output with --json, else on standard error. */
const reportError = (error: unknown, json: boolean, io: Io): number => {
  const { name, message } = error instanceof Error ? error : new Error(String(error));
  const code = isUsageError(error) ? EXIT.usage : EXIT.error;
  if (json) {
    io.out(JSON.stringify({ error: { name, message } }, null, 2));
  } else if (error instanceof CommandUsageError) {
    io.err(`pgfo: ${message}\n${commandSynopsis(error.command)}\n(every flag: pgfo ${error.command} --help)`);
  } else if (error instanceof UsageError) {
    io.err(`pgfo: ${message}\n(the usage: pgfo --help)`);
  } else {
    io.err(code === EXIT.usage ? `pgfo: ${message}` : `pgfo: ${name}: ${message}`);
  }
  return code;
};

/** The CLI, callable from tests: returns the exit code instead of exiting. */
export const main = async (argv: string[], io: Io = processIo): Promise<number> => {
  // Known before parsing, so that a command line the parser refuses is answered in JSON too.
  const json = argv.includes('--json');
  try {
    const { command, flags } = parseArgs(argv);
    if (!command && flags.help) {
      io.out(USAGE);
      return EXIT.ok;
    }
    if (!command) throw new UsageError('no command given');
    const name = commandOf(command);
    if (flags.help) {
      io.out(commandUsage(name));
      return EXIT.ok;
    }
    const request = commandRequest(name, flags);
    const progress = json ? () => undefined : io.err;
    const result = await withBackend(flags, (backend) => RUNNERS[name](backend, request, progress));
    io.out(json ? JSON.stringify(result.value, null, 2) : result.text);
    return result.code;
  } catch (error) {
    return reportError(error, json, io);
  }
};
