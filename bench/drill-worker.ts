import '../local/polyfills';
import { runDrill } from '../drill';
import type { DrillScenario } from '../drill/drill-report';
import type { WorkerOptions } from './drill-rto';

/**
 * One drill in its own process (a drill sets process-wide environment and client caches, so drills
 * that run at the same time need a process each): `tsx bench/drill-worker.ts SCENARIO CONFIG JSON [OPTIONS]`,
 * OPTIONS being the JSON of `WorkerOptions`.
 * The report goes to JSON; the exit code is 0 whether or not the drill passed (the report says).
 */
const [scenario, configFile, jsonFile, extra] = process.argv.slice(2);
if (!scenario || !configFile || !jsonFile) {
  process.stderr.write('usage: tsx bench/drill-worker.ts SCENARIO CONFIG_FILE JSON_FILE [OPTIONS_JSON]\n');
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
const options = (extra ? JSON.parse(extra) : {}) as WorkerOptions;
runDrill({ scenario: scenario as DrillScenario, configFile, jsonFile, print: () => undefined, ...options })
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(`drill failed to run: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
