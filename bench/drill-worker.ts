import '../local/polyfills';
import { runDrill } from '../drill';
import type { DrillScenario } from '../drill/drill-report';

/**
 * One drill in its own process (a drill sets process-wide environment and client caches, so drills
 * that run at the same time need a process each): `tsx bench/drill-worker.ts SCENARIO CONFIG JSON`.
 * The report goes to JSON; the exit code is 0 whether or not the drill passed (the report says).
 */
const [scenario, configFile, jsonFile] = process.argv.slice(2);
if (!scenario || !configFile || !jsonFile) {
  process.stderr.write('usage: tsx bench/drill-worker.ts SCENARIO CONFIG_FILE JSON_FILE\n');
  process.exit(2);
}
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
runDrill({ scenario: scenario as DrillScenario, configFile, jsonFile, print: () => undefined })
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(`drill failed to run: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
