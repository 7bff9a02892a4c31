import { parseCommandLine, UsageError, type FlagSpec } from '../shared/command-line';
import { EXAMPLE_CONFIG_FILE } from '../shared/config/load';
import { DRILL_SCENARIOS, type DrillScenario } from './drill-report';

export interface CliOptions {
  command: 'drill' | 'down' | 'help';
  scenario: DrillScenario;
  configFile: string;
  cluster?: string;
  jsonFile?: string;
  htmlFile?: string;
  logFile?: string;
  keep: boolean;
}

export const USAGE = `usage: npm run drill -- [--scenario NAME] [--config FILE] [--cluster NAME]
                        [--json FILE] [--html FILE] [--log FILE] [--keep]
       npm run drill -- --down

  --scenario  ${DRILL_SCENARIOS.join(' | ')} (default region-outage)
  --config    cluster configuration to build the stack from (default ${EXAMPLE_CONFIG_FILE})
  --cluster   cluster to drill when the configuration has several (default: the first)
  --json      write the report as JSON
  --html      write the report as a self-contained HTML page
  --log       write the control plane's log lines (JSON, secrets masked)
  --keep      leave the stack running afterwards (see the report for how to reach it)
  --down      tear down a stack left running by --keep
  --help, -h  this text`;

export { UsageError };

const FLAGS: FlagSpec = {
  scenario: { type: 'string' },
  config: { type: 'string' },
  cluster: { type: 'string' },
  json: { type: 'string' },
  html: { type: 'string' },
  log: { type: 'string' },
  keep: { type: 'boolean' },
  down: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const isScenario = (value: string): value is DrillScenario => (DRILL_SCENARIOS as readonly string[]).includes(value);

/** Parses the drill's command line. Pure. @throws UsageError naming the flag at fault. */
export const parseArgs = (argv: string[]): CliOptions => {
  const { values } = parseCommandLine(argv, FLAGS);
  const value = (flag: string) => values[flag] as string | undefined;
  const scenario = value('scenario') ?? 'region-outage';
  if (!isScenario(scenario)) throw new UsageError(`--scenario: unknown scenario "${scenario}" (one of ${DRILL_SCENARIOS.join(', ')})`);
  const down = values.down === true;
  if (down) {
    const others = Object.keys(values).filter((f) => f !== 'down').map((f) => `--${f}`);
    if (others.length > 0) throw new UsageError(`--down: tears a kept stack down and takes no other flag (got ${others.join(', ')})`);
  }
  return {
    command: values.help === true ? 'help' : down ? 'down' : 'drill',
    scenario,
    configFile: value('config') ?? EXAMPLE_CONFIG_FILE,
    keep: values.keep === true,
    ...(value('cluster') ? { cluster: value('cluster') } : {}),
    ...(value('json') ? { jsonFile: value('json') } : {}),
    ...(value('html') ? { htmlFile: value('html') } : {}),
    ...(value('log') ? { logFile: value('log') } : {}),
  };
};
