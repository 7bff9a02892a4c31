import { EXAMPLE_CONFIG_FILE } from '../shared/config/load';
import { DRILL_SCENARIOS, type DrillScenario } from './drill-report';
import { ROUTE53_PROPAGATION_MS } from '../local/route53-propagation';

export interface CliOptions {
  command: 'drill' | 'down' | 'help';
  scenario: DrillScenario;
  configFile: string;
  cluster?: string;
  jsonFile?: string;
  htmlFile?: string;
  logFile?: string;
  keep: boolean;
  /** Route 53 PENDING time, seconds (default: ROUTE53_PROPAGATION_MS in local/route53-propagation.ts). */
  dnsPendingSeconds?: number;
}

export const USAGE = `usage: npm run drill -- [--scenario NAME] [--config FILE] [--cluster NAME]
                        [--json FILE] [--html FILE] [--log FILE] [--keep]
                        [--dns-pending-seconds N]
       npm run drill -- --down

  --scenario  ${DRILL_SCENARIOS.join(' | ')} (default region-outage)
  --config    cluster configuration to build the stack from (default ${EXAMPLE_CONFIG_FILE})
  --cluster   cluster to drill when the configuration has several (default: the first)
  --json      write the report as JSON
  --html      write the report as a self-contained HTML page
  --log       write the control plane's log lines (JSON, secrets masked)
  --keep      leave the stack running afterwards (see the report for how to reach it)
  --dns-pending-seconds  how long Route 53 answers PENDING for a change (default ${ROUTE53_PROPAGATION_MS / 1000}:
              AWS documents propagation within 60 s under normal conditions)
  --down      tear down a stack left running by --keep`;

/** A command-line mistake: the message names the flag. */
export class UsageError extends Error {
  override name = 'UsageError';
}

const VALUED = new Set(['--scenario', '--config', '--cluster', '--json', '--html', '--log', '--dns-pending-seconds']);
const SWITCHES = new Set(['--keep', '--down', '--help', '-h']);

/** Splits `--flag=value` and `--flag value`; rejects unknown flags, missing values and repeats. */
const tokens = (argv: string[]): Map<string, string | true> => {
  const seen = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const [flag, inline] = arg.startsWith('--') && arg.includes('=') ? [arg.slice(0, arg.indexOf('=')), arg.slice(arg.indexOf('=') + 1)] : [arg, undefined];
    if (!VALUED.has(flag) && !SWITCHES.has(flag)) throw new UsageError(`${flag}: unknown ${flag.startsWith('-') ? 'flag' : 'argument'}`);
    if (seen.has(flag)) throw new UsageError(`${flag}: given more than once`);
    if (SWITCHES.has(flag)) {
      if (inline !== undefined) throw new UsageError(`${flag}: takes no value`);
      seen.set(flag, true);
      continue;
    }
    const value = inline ?? argv[i + 1];
    if (inline === undefined) i += 1;
    if (value === undefined || value === '' || (inline === undefined && value.startsWith('--'))) throw new UsageError(`${flag}: needs a value`);
    seen.set(flag, value);
  }
  return seen;
};

const isScenario = (value: string): value is DrillScenario => (DRILL_SCENARIOS as readonly string[]).includes(value);

/** Parses the drill's command line. Pure. @throws UsageError naming the flag at fault. */
export const parseArgs = (argv: string[]): CliOptions => {
  const flags = tokens(argv);
  const value = (flag: string) => flags.get(flag) as string | undefined;
  const scenario = value('--scenario') ?? 'region-outage';
  if (!isScenario(scenario)) throw new UsageError(`--scenario: unknown scenario "${scenario}" (one of ${DRILL_SCENARIOS.join(', ')})`);
  const down = flags.has('--down');
  if (down) {
    const others = [...flags.keys()].filter((f) => f !== '--down');
    if (others.length > 0) throw new UsageError(`--down: tears a kept stack down and takes no other flag (got ${others.join(', ')})`);
  }
  const pending = value('--dns-pending-seconds');
  if (pending !== undefined && !/^\d{1,4}$/.test(pending)) throw new UsageError(`--dns-pending-seconds: a whole number of seconds (0-9999), got "${pending}"`);
  return {
    ...(pending !== undefined ? { dnsPendingSeconds: Number(pending) } : {}),
    command: flags.has('--help') || flags.has('-h') ? 'help' : down ? 'down' : 'drill',
    scenario,
    configFile: value('--config') ?? EXAMPLE_CONFIG_FILE,
    keep: flags.has('--keep'),
    ...(value('--cluster') ? { cluster: value('--cluster') } : {}),
    ...(value('--json') ? { jsonFile: value('--json') } : {}),
    ...(value('--html') ? { htmlFile: value('--html') } : {}),
    ...(value('--log') ? { logFile: value('--log') } : {}),
  };
};
