import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REJOIN_TIMEOUT_SECONDS } from '../workflow/timeouts';

/** The script the document runs on the node's host: the one definition of the rejoin procedure. */
export const REJOIN_SCRIPT = resolve(__dirname, '..', '..', 'host', 'pgfo-rejoin.sh');

/**
 * The document's parameters: SSM substitutes `{{ Name }}` into the script's text, so each one is held
 * to a pattern that cannot break out of its single-quoted assignment (no quotes, no spaces, no `$`).
 * `env` is the variable the script reads.
 */
export const REJOIN_PARAMETERS = {
  DataDir: { env: 'PGFO_DATA_DIR', pattern: '^/[A-Za-z0-9_./-]{1,250}$', default: '/var/lib/postgresql/15/main', description: 'PostgreSQL data directory' },
  PgBin: { env: 'PGFO_PG_BIN', pattern: '^/[A-Za-z0-9_./-]{1,250}$', default: '/usr/lib/postgresql/15/bin', description: 'PostgreSQL server binaries' },
  Service: { env: 'PGFO_SERVICE', pattern: '^[A-Za-z0-9_.@-]{0,100}$', default: 'postgresql@15-main', description: 'systemd unit of PostgreSQL (empty: pg_ctl)' },
  LogFile: { env: 'PGFO_LOG_FILE', pattern: '^(/[A-Za-z0-9_./-]{1,250})?$', default: '', description: 'server log when started with pg_ctl' },
  NodeConn: { env: 'PGFO_NODE_CONN', pattern: '^[A-Za-z0-9_./=-]+( [A-Za-z0-9_./=-]+)*$', default: 'dbname=postgres', description: 'libpq keywords to reach this node as a local superuser' },
  SourceHost: { env: 'PGFO_SOURCE_HOST', pattern: '^[A-Za-z0-9_.:-]{1,253}$', default: undefined, description: 'the current writer' },
  SourcePort: { env: 'PGFO_SOURCE_PORT', pattern: '^[0-9]{1,5}$', default: undefined, description: "the current writer's port" },
  Database: { env: 'PGFO_DATABASE', pattern: '^[A-Za-z0-9_-]{1,63}$', default: undefined, description: 'a database on the writer' },
  ReplicationUser: { env: 'PGFO_REPLICATION_USER', pattern: '^[A-Za-z0-9_-]{1,63}$', default: 'replicator', description: 'replication login (password in the postgres user\'s password file)' },
  ApplicationName: { env: 'PGFO_APPLICATION_NAME', pattern: '^[A-Za-z][A-Za-z0-9_-]{0,62}$', default: undefined, description: 'the node name' },
  PassFile: { env: 'PGFO_PASSFILE', pattern: '^(/[A-Za-z0-9_./-]{1,250})?$', default: '', description: 'libpq password file (empty: ~/.pgpass)' },
  Mode: { env: 'PGFO_MODE', pattern: '^(auto|rewind|basebackup)$', default: 'auto', description: 'auto: pg_rewind, a base backup when rewind cannot work' },
  DryRun: { env: 'PGFO_DRY_RUN', pattern: '^[01]$', default: '0', description: '1: report what would be discarded, change nothing' },
  WaitSeconds: { env: 'PGFO_WAIT_SECONDS', pattern: '^[0-9]{1,4}$', default: '60', description: 'how long to wait for streaming' },
} as const;

export type RejoinParameterName = keyof typeof REJOIN_PARAMETERS;
export type RejoinParameters = Partial<Record<RejoinParameterName, string>>;

/**
 * How long the document may run on the host, and how long the rejoin function waits for it (defined
 * with the other timeouts the configuration is checked against): it fits the function's 900 s
 * (Lambda's limit) with a minute left for the streaming check. A base backup of a node larger than
 * the link can copy in that time needs the document run by hand (docs).
 */
export { REJOIN_TIMEOUT_SECONDS };

/**
 * The SSM Command document (schema 2.2, aws:runShellScript): exports each parameter, then runs the
 * rejoin script. The deployment creates it; the local stack runs this same document.
 */
export const rejoinDocument = (script = readFileSync(REJOIN_SCRIPT, 'utf8')) => ({
  schemaVersion: '2.2',
  description: 'pgfo: rejoin a fenced or diverged PostgreSQL node as a standby of the current writer (pg_rewind or a base backup)',
  parameters: Object.fromEntries(
    Object.entries(REJOIN_PARAMETERS).map(([name, p]) => [
      name,
      { type: 'String', description: p.description, allowedPattern: p.pattern, ...(p.default !== undefined ? { default: p.default } : {}) },
    ]),
  ),
  mainSteps: [
    {
      action: 'aws:runShellScript',
      name: 'rejoin',
      inputs: {
        timeoutSeconds: String(REJOIN_TIMEOUT_SECONDS),
        runCommand: [
          ...Object.entries(REJOIN_PARAMETERS).map(([name, p]) => `export ${p.env}='{{ ${name} }}'`),
          // The script travels base64-encoded: its shell expansions would otherwise read as template
          // variables to the Serverless Framework (and `{{ }}` as parameters to SSM).
          'script=$(mktemp)',
          `echo '${Buffer.from(script, 'utf8').toString('base64')}' | base64 -d > "$script"`,
          'bash "$script"; status=$?; rm -f "$script"; exit $status',
        ],
      },
    },
  ],
});

export type RejoinDocument = ReturnType<typeof rejoinDocument>;

/**
 * What SSM does with a document and parameters before running it: defaults filled in, each value
 * checked against its pattern, `{{ Name }}` replaced. @throws Error naming the bad parameter.
 */
export const renderCommands = (document: RejoinDocument, parameters: RejoinParameters): string => {
  const values: Record<string, string> = {};
  for (const [name, spec] of Object.entries(document.parameters)) {
    const value = parameters[name as RejoinParameterName] ?? spec.default;
    if (value === undefined) throw new Error(`rejoin document: parameter ${name} is required`);
    if (!new RegExp(spec.allowedPattern).test(value)) throw new Error(`rejoin document: parameter ${name} does not match ${spec.allowedPattern}`);
    values[name] = value;
  }
  for (const name of Object.keys(parameters)) {
    if (!(name in document.parameters)) throw new Error(`rejoin document: unknown parameter ${name}`);
  }
  return document.mainSteps[0]!.inputs.runCommand.map((line) => line.replace(/\{\{ (\w+) \}\}/g, (_, name: string) => values[name] ?? '')).join('\n');
};
