import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EXAMPLE_CONFIG_FILE, loadConfigFile } from '../shared/config/load';
import type { DrillReport, DrillScenario } from '../drill/drill-report';
import { freeLoopbackPort } from '../local/pg-node';
import { PROJECT_ROOT } from './bundles';
import { progress } from './progress';
import { percentile, round, spread, type Spread } from './stats';

export interface ScenarioDistribution {
  scenario: DrillScenario;
  runs: number;
  passed: number;
  detectionSeconds: Spread | null;
  rtoSeconds: (Spread & { p90: number }) | null;
  appDowntimeSeconds: Spread | null;
  ackedRowsLost: Spread | null;
  ackedRows: Spread | null;
  receiptLossBytes: Spread | null;
  receiptUpperBoundBytes: Spread | null;
  problems: string[];
  /** Each run that did not pass: its expectation problems and the workflow's own reasons. */
  failures: Array<{ problems: string[]; reasons: string[]; alarmTransitions: string[]; error: string | null }>;
}

export interface DrillResult {
  status: 'measured' | 'pending';
  reason?: string;
  runsPerScenario: number;
  /** Drills running at the same time (each its own process, stack and emulator). */
  concurrency: number;
  shortened: string[];
  scenarios: ScenarioDistribution[];
}

const spreadOf = (values: Array<number | null>, scale = 1): Spread | null => {
  const present = values.filter((v): v is number => v !== null && Number.isFinite(v)).map((v) => round(v / scale, 1));
  return present.length > 0 ? spread(present) : null;
};

/** Distributions over the reports of one scenario. Pure. */
export const summariseDrills = (scenario: DrillScenario, reports: DrillReport[]): ScenarioDistribution => {
  const rto = spreadOf(reports.map((r) => r.rtoMs), 1000);
  const rtoValues = reports.map((r) => r.rtoMs).filter((v): v is number => v !== null);
  return {
    scenario,
    runs: reports.length,
    passed: reports.filter((r) => r.passed).length,
    detectionSeconds: spreadOf(reports.map((r) => r.detectionMs), 1000),
    rtoSeconds: rto ? { ...rto, p90: round(percentile(rtoValues, 90) / 1000, 1) } : null,
    appDowntimeSeconds: spreadOf(reports.map((r) => r.appDowntimeMs), 1000),
    ackedRowsLost: spreadOf(reports.map((r) => r.rpo.ackedRowsLost)),
    ackedRows: spreadOf(reports.map((r) => r.rpo.ackedRows)),
    receiptLossBytes: spreadOf(reports.map((r) => r.rpo.receiptBytes)),
    receiptUpperBoundBytes: spreadOf(reports.map((r) => r.rpo.receiptUpperBoundBytes ?? null)),
    problems: [...new Set(reports.flatMap((r) => r.problems))],
    failures: reports
      .filter((r) => !r.passed)
      .map((r) => ({
        problems: r.problems,
        reasons: r.reasons,
        alarmTransitions: (r.alarm?.transitions ?? []).map((t) => `${(t.atMs / 1000).toFixed(1)} s ${t.from} → ${t.to}: ${t.reason}`),
        error: r.error,
      })),
  };
};

/** The example configuration with ports nobody else uses (drills build their stack on the configured ports). */
const configWithFreePorts = async (dir: string, name: string, taken: Set<number>): Promise<string> => {
  const config = loadConfigFile(join(PROJECT_ROOT, EXAMPLE_CONFIG_FILE));
  for (const node of config.clusters.flatMap((c) => c.nodes)) {
    let port = await freeLoopbackPort();
    while (taken.has(port)) port = await freeLoopbackPort();
    taken.add(port);
    node.port = port;
  }
  const file = join(dir, `${name}.json`);
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
};

const runWorker = (scenario: DrillScenario, configFile: string, jsonFile: string): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, 'drill-worker.ts'), scenario, configFile, jsonFile], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && existsSync(jsonFile) ? resolve() : reject(new Error(`drill ${scenario} exited ${code}: ${stderr}`))));
  });

/**
 * Section 5: end-to-end RTO and RPO distributions from `runDrill` (the same drill as `npm run
 * drill`), several runs per scenario. Drills run `concurrency` at a time, each in its own process
 * with its own stack and emulator, to fit the bench's time budget.
 */
export const measureDrills = async (scenarios: DrillScenario[], runsPerScenario: number, concurrency: number): Promise<DrillResult> => {
  const dir = mkdtempSync(join(tmpdir(), 'pgfo-bench-drills-'));
  try {
    const taken = new Set<number>();
    const jobs: Array<{ scenario: DrillScenario; name: string; config: string; json: string }> = [];
    for (let i = 0; i < runsPerScenario; i += 1) {
      for (const scenario of scenarios) {
        const name = `${scenario}-${i + 1}`;
        jobs.push({ scenario, name, config: await configWithFreePorts(dir, name, taken), json: join(dir, `${name}.report.json`) });
      }
    }
    const reports = new Map<DrillScenario, DrillReport[]>(scenarios.map((s) => [s, []]));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        try {
          await runWorker(job.scenario, job.config, job.json);
          const report = JSON.parse(readFileSync(job.json, 'utf8')) as DrillReport;
          reports.get(job.scenario)!.push(report);
          progress(`drill ${job.name}: ${report.passed ? 'passed' : 'FAILED'}, RTO ${report.rtoMs === null ? 'n/a' : `${(report.rtoMs / 1000).toFixed(1)} s`}, ${report.rpo.ackedRowsLost ?? 'n/a'} acked rows lost`);
        } catch (error) {
          progress(`drill ${job.name}: did not run (${(error as Error).message.split('\n')[0]})`);
        }
      }
    };
    progress(`drills: ${jobs.length} runs (${scenarios.join(', ')}), ${concurrency} at a time`);
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
    const all = [...reports.values()].flat();
    return {
      status: 'measured',
      runsPerScenario,
      concurrency,
      shortened: all[0]?.shortened ?? [],
      scenarios: scenarios.map((s) => summariseDrills(s, reports.get(s)!)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
