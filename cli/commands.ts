import { userInfo } from 'node:os';
import { REJOIN_MODES } from '../shared/operators/requests';

/**
 * How a flag is read: `boolean` takes no value; `string` and `number` (a whole number) take one and
 * may be left out; `required` takes one and must be given.
 */
export type FlagKind = 'boolean' | 'string' | 'number' | 'required';

export interface FlagDefinition {
  kind: FlagKind;
  /** What the usage shows as the value (`--cluster C`); none for a boolean. */
  value?: string;
  /** The values accepted, when only a few are (also shown in the usage). */
  choices?: readonly string[];
  /** The request field the flag fills. @default the flag's name in camelCase */
  field?: string;
  /** The value when the flag is left out (the usage shows it). */
  default?: string;
  /** What the request gets when the flag is left out, worked out when the command runs. */
  fallback?: () => string;
  description: string;
}

export interface CommandDefinition {
  summary: string;
  flags: Record<string, FlagDefinition>;
}

/** Flags every command takes: where the handlers run and how the result is printed. */
export const GLOBAL_FLAGS = {
  json: { kind: 'boolean', description: 'print the result as JSON on standard output (errors too, see below)' },
  local: {
    kind: 'string',
    value: 'ENV_FILE',
    description:
      "run the handlers in this process against a local stack (a JSON file of environment variables, as 'npm run drill -- --keep' writes one); without it the deployed Lambdas <service>-<stage>-<function> are invoked",
  },
  stage: { kind: 'string', value: 'STAGE', default: 'prod', description: 'deployed stage' },
  region: { kind: 'string', value: 'REGION', description: 'region of the control plane (default: the SDK\'s own)' },
  service: { kind: 'string', value: 'NAME', default: 'pgfo', description: 'deployed service name' },
  help: { kind: 'boolean', description: 'print the usage (of the command, when one is given) and exit 0' },
} as const satisfies Record<string, FlagDefinition>;

export type GlobalFlag = keyof typeof GLOBAL_FLAGS;

/** Who runs the CLI, as pause, resume and resolve record it when --by is not given. */
export const operatorName = (): string => {
  try {
    return process.env.USER || userInfo().username || 'operator';
  } catch {
    return 'operator';
  }
};

const cluster = (kind: 'string' | 'required'): FlagDefinition => ({ kind, value: 'C', description: kind === 'required' ? 'the cluster' : 'only this cluster' });

/** The operator commands: the usage text, the parser and the tests all read this table. */
export const COMMANDS = {
  status: {
    summary: 'roles, lag, and where DNS and DATABASE_URL point; exit 1 when they disagree with the writer',
    flags: { cluster: cluster('string') },
  },
  plan: {
    summary: 'what a failover would do now, and why (changes nothing); exit 0 if it would fail over, 1 if not',
    flags: {
      cluster: cluster('required'),
      to: { kind: 'string', value: 'NODE', description: 'judge this node only (also its failback readiness)' },
    },
  },
  switchover: {
    summary: 'planned zero-loss switchover; the old primary then follows the new writer',
    flags: {
      cluster: cluster('required'),
      to: { kind: 'required', value: 'NODE', description: 'the standby to promote' },
      timeout: { kind: 'number', value: 'SECONDS', field: 'catchUpTimeoutSeconds', description: 'longest wait for NODE to catch up (default 30)' },
      'no-rejoin': { kind: 'boolean', description: 'leave the old primary aside, read-only, instead of rejoining it as a standby of NODE' },
    },
  },
  failover: {
    summary: 'operator-declared outage: runs the failover workflow without outage confirmation',
    flags: {
      cluster: cluster('required'),
      to: { kind: 'string', value: 'NODE', description: 'promote this node instead of the policy\'s choice' },
      'accept-data-loss': { kind: 'boolean', description: 'skip the lag guard (the receipt records it)' },
      reason: { kind: 'string', value: 'TEXT', description: 'why, as the receipt keeps it' },
      'accept-unfenced-by': { kind: 'string', value: 'NAME', description: 'move traffic even without a proven fence; NAME accepts it (in the receipt)' },
    },
  },
  history: {
    summary: 'past failovers, switchovers and rejoins, newest first',
    flags: {
      cluster: cluster('string'),
      limit: { kind: 'number', value: 'N', description: 'at most N entries (default 20)' },
    },
  },
  rejoin: {
    summary: 'bring a fenced or diverged node back as a standby of the writer',
    flags: {
      cluster: cluster('required'),
      node: { kind: 'required', value: 'N', description: 'the node to bring back' },
      'dry-run': { kind: 'boolean', description: 'report what it would discard, change nothing' },
      mode: { kind: 'string', value: 'MODE', choices: REJOIN_MODES, description: 'pg_rewind, a base backup, or auto (default auto)' },
    },
  },
  pause: {
    summary: 'stop automatic failovers (operators\' actions still run)',
    flags: {
      cluster: cluster('required'),
      reason: { kind: 'string', value: 'TEXT', description: 'why, as status shows it' },
      by: { kind: 'string', value: 'NAME', fallback: operatorName, description: 'who pauses (default: the user running pgfo)' },
    },
  },
  resume: {
    summary: 'let automatic failovers run again',
    flags: {
      cluster: cluster('required'),
      by: { kind: 'string', value: 'NAME', fallback: operatorName, description: 'who resumes (default: the user running pgfo)' },
    },
  },
  resolve: {
    summary: 'record N, the one node observed accepting writes, as the writer (ends a contradiction the workflow refused on)',
    flags: {
      cluster: cluster('required'),
      writer: { kind: 'required', value: 'N', description: 'the node accepting writes' },
      reason: { kind: 'required', value: 'TEXT', description: 'why, as the record keeps it' },
      by: { kind: 'string', value: 'NAME', fallback: operatorName, description: 'who resolves (default: the user running pgfo)' },
    },
  },
} as const satisfies Record<string, CommandDefinition>;

export type CommandName = keyof typeof COMMANDS;

/** The commands in the order the usage lists them. */
export const COMMAND_NAMES = Object.keys(COMMANDS) as CommandName[];

export const isCommand = (name: string): name is CommandName => Object.hasOwn(COMMANDS, name);

/** A command's flags, its own and the global ones. */
export const flagsOf = (command: CommandName): Record<string, FlagDefinition> => ({ ...GLOBAL_FLAGS, ...COMMANDS[command].flags });
