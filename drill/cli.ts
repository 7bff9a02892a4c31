/**
 * `npm run drill -- [flags]`: runs a failover drill on this machine and reports what it measured.
 * Exit code 0 when the scenario's expected outcome happened; 1 when it did not (the reasons are
 * printed); 2 for a bad command line.
 */
import '../local/polyfills';
import { parseArgs, USAGE, UsageError } from './options';
import { summaryText } from './report';
import { runDrill } from './run-drill';
import { tearDownKept } from './keep';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const main = async (): Promise<number> => {
  const options = parseArgs(process.argv.slice(2));
  if (options.command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (options.command === 'down') {
    process.stdout.write(`${await tearDownKept()}\n`);
    return 0;
  }
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals) => {
    process.stderr.write(`\n${signal}: stopping the drill and tearing down (again to force)\n`);
    abort.abort(signal);
    process.once(signal, () => process.exit(130));
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const report = await runDrill({
    scenario: options.scenario,
    configFile: options.configFile,
    keep: options.keep,
    signal: abort.signal,
    ...(options.cluster ? { cluster: options.cluster } : {}),
    ...(options.jsonFile ? { jsonFile: options.jsonFile } : {}),
    ...(options.htmlFile ? { htmlFile: options.htmlFile } : {}),
    ...(options.logFile ? { logFile: options.logFile } : {}),
    ...(options.dnsPendingSeconds !== undefined ? { dnsPendingMs: options.dnsPendingSeconds * 1000 } : {}),
  });
  process.stdout.write(`${summaryText(report)}\n`);
  if (abort.signal.aborted) return 130;
  return report.passed ? 0 : 1;
};

main().then(
  (code) => process.exit(code),
  (error: Error) => {
    process.stderr.write(`drill: ${error.message}\n${error instanceof UsageError ? `\n${USAGE}\n` : ''}`);
    process.exit(error instanceof UsageError ? 2 : 1);
  },
);
