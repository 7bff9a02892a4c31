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
import { formatDuration } from '../shared/units';

/** Runs of one scenario under one setting: a row of the drills table. */
export interface DrillGroup {
  /** What the row is called (the scenario, and the setting when it is not the default). */
  label: string;
  scenario: DrillScenario;
  runs: number;
  /** How long Route 53 changes stay PENDING (default: the drill's modelled figure). */
  dnsPendingMs?: number;
  /** Spread the fault over one alarm period: run i waits i × periodMs / runs after the alarm is OK. */
  spreadOverPeriodMs?: number;
  /** A sequence measured leg by leg: one row per leg named here (1-based), from the same runs. */
  legs?: number[];
}

/**
 * One leg of a sequence's report as a report of its own: that leg's fault, detection, RTO, downtime
 * and loss in place of the last fault's (the run passed or failed as a whole). Pure.
 */
export const legReport = (report: DrillReport, leg: number): DrillReport => {
  const figures = report.legs[leg - 1];
  if (!figures) return { ...report, faultAtMs: null, detectionMs: null, rtoMs: null, problems: [...report.problems, `no leg ${leg} in this report (${report.legs.length} legs)`] };
  return { ...report, faultAtMs: figures.faultAtMs, detectionMs: figures.detectionMs, rtoMs: figures.rtoMs, appDowntimeMs: figures.appDowntimeMs, dnsRtoMs: figures.dnsRtoMs, rpo: figures.rpo };
};

/** The rows of a group: one, or one per leg of `legs` (labelled with the leg's name). Pure. */
export const groupRows = (group: DrillGroup, reports: DrillReport[]): ScenarioDistribution[] =>
  group.legs
    ? group.legs.map((leg) => summariseDrills(group.scenario, reports.map((r) => legReport(r, leg)), `${group.label}, leg ${leg}${reports[0]?.legs[leg - 1] ? ` (${reports[0].legs[leg - 1]!.name})` : ''}`))
    : [summariseDrills(group.scenario, reports, group.label)];

export interface ScenarioDistribution {
  scenario: DrillScenario;
  /** The group's label (older results: the scenario). */
  label?: string;
  runs: number;
  passed: number;
  /** Runs that ended with a node other than the old primary taking writes. */
  promotions?: number;
  /** Runs whose failover alarm fired. */
  alarms?: number;
  /** Runs whose workflow ran and ended without a receipt (the execution FAILED). */
  workflowsFailed?: number;
  /** Promotion done → last DATABASE_URL written, from the receipt's steps. */
  promotionToDatabaseUrlSeconds?: Spread | null;
  detectionSeconds: Spread | null;
  /**
   * A dependency answering again → what the scheduled convergence finished (every DATABASE_URL on
   * the writer for ssm-region-down; the failover started for dependency-blip), from the drill report.
   */
  convergenceSeconds?: Spread | null;
  /** Split-brain probe rounds over the runs, and those that found more than one writer (issue 21). */
  probeRounds?: number;
  probeSplitRounds?: number | null;
  /** Application writes that failed, per run (control-partition: refused by a healthy primary, issue 21). */
  appWriteFailures?: Spread | null;
  /** sync-standby-loss: the longest time without a commit after the synchronous standby's loss, seconds (issue 22). */
  commitGapSeconds?: Spread | null;
  /** New writers with an in-region standby streaming from them, and those the record named no synchronous standby for within 60 s of the drill seeing one stream (issue 22). */
  synchronousChecked?: number;
  synchronousLeftWithout?: number;
  /** How the row was measured when not with the rest of the section (the date and the command). */
  measured?: string;
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

type ReceiptSteps = { steps?: Array<{ step: string; endedAt: string }> } | null;

/** Milliseconds from the end of the promotion to the end of the DATABASE_URL rewrite, from a receipt. Pure. */
export const promotionToDatabaseUrlMs = (receipt: unknown): number | null => {
  const steps = (receipt as ReceiptSteps)?.steps ?? [];
  const promoted = steps.find((s) => s.step === 'promotion');
  const written = steps.find((s) => s.step === 'databaseUrl');
  return promoted && written ? Date.parse(written.endedAt) - Date.parse(promoted.endedAt) : null;
};

/**
 * The probe's rounds over the runs and those that saw two writers; null split rounds when a run's
 * report does not count them (an older report: only its most writers in one round). Pure.
 */
export const probeFigures = (reports: Array<Pick<DrillReport, 'probe'>>): { probeRounds: number; probeSplitRounds: number | null } => {
  const probes = reports.map((r) => r.probe);
  const counted = probes.every((p) => p?.splitRounds !== undefined);
  return {
    probeRounds: probes.reduce((sum, p) => sum + (p?.rounds ?? 0), 0),
    probeSplitRounds: counted ? probes.reduce((sum, p) => sum + (p?.splitRounds ?? 0), 0) : null,
  };
};

/** Distributions over the reports of one scenario. Pure. */
export const summariseDrills = (scenario: DrillScenario, reports: DrillReport[], label: string = scenario): ScenarioDistribution => {
  const rto = spreadOf(reports.map((r) => r.rtoMs), 1000);
  const rtoValues = reports.map((r) => r.rtoMs).filter((v): v is number => v !== null);
  return {
    scenario,
    label,
    runs: reports.length,
    passed: reports.filter((r) => r.passed).length,
    promotions: reports.filter((r) => r.outcome === 'promoted').length,
    alarms: reports.filter((r) => r.detectionMs !== null).length,
    workflowsFailed: reports.filter((r) => r.detectionMs !== null && (r.receipt === null || r.receipt === undefined)).length,
    promotionToDatabaseUrlSeconds: spreadOf(reports.map((r) => promotionToDatabaseUrlMs(r.receipt)), 1000),
    detectionSeconds: spreadOf(reports.map((r) => r.detectionMs), 1000),
    convergenceSeconds: spreadOf(reports.map((r) => r.convergence?.urlsOnWriterMs ?? r.convergence?.failoverStartedMs ?? null), 1000),
    ...probeFigures(reports),
    appWriteFailures: spreadOf(reports.map((r) => r.app?.failures ?? null)),
    commitGapSeconds: spreadOf(reports.map((r) => r.commitGapMs ?? null), 1000),
    synchronousChecked: reports.filter((r) => r.synchronousAfter).length,
    synchronousLeftWithout: reports.filter((r) => r.synchronousAfter?.leftWithout === true).length,
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

const runWorker = (scenario: DrillScenario, configFile: string, jsonFile: string, options: WorkerOptions): Promise<void> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve('tsx/cli'), join(__dirname, 'drill-worker.ts'), scenario, configFile, jsonFile, JSON.stringify(options)], {
      cwd: PROJECT_ROOT,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LOG_LEVEL: 'silent' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 && existsSync(jsonFile) ? resolve() : reject(new Error(`drill ${scenario} exited ${code}: ${stderr}`))));
  });

/** What the worker passes on to `runDrill`. */
export interface WorkerOptions {
  dnsPendingMs?: number;
  faultDelayMs?: number;
}

/**
 * Section 5: end-to-end RTO and RPO distributions from `runDrill` (the same drill as `npm run
 * drill`), several runs per group. Drills run `concurrency` at a time, each in its own process
 * with its own stack and emulator, to fit the bench's time budget.
 */
export const measureDrills = async (groups: DrillGroup[], concurrency: number): Promise<DrillResult> => {
  const dir = mkdtempSync(join(tmpdir(), 'pgfo-bench-drills-'));
  try {
    const taken = new Set<number>();
    const jobs: Array<{ group: DrillGroup; name: string; config: string; json: string; options: WorkerOptions }> = [];
    const most = Math.max(...groups.map((g) => g.runs));
    // Interleaved, so that every group sees the same mix of load.
    for (let i = 0; i < most; i += 1) {
      for (const [g, group] of groups.entries()) {
        if (i >= group.runs) continue;
        const name = `${group.scenario}-${g}-${i + 1}`;
        const options: WorkerOptions = {
          ...(group.dnsPendingMs !== undefined ? { dnsPendingMs: group.dnsPendingMs } : {}),
          ...(group.spreadOverPeriodMs !== undefined ? { faultDelayMs: Math.round((i * group.spreadOverPeriodMs) / group.runs) } : {}),
        };
        jobs.push({ group, name, config: await configWithFreePorts(dir, name, taken), json: join(dir, `${name}.report.json`), options });
      }
    }
    const reports = new Map<DrillGroup, DrillReport[]>(groups.map((g) => [g, []]));
    let next = 0;
    const worker = async () => {
      while (next < jobs.length) {
        const job = jobs[next++]!;
        try {
          await runWorker(job.group.scenario, job.config, job.json, job.options);
          const report = JSON.parse(readFileSync(job.json, 'utf8')) as DrillReport;
          reports.get(job.group)!.push(report);
          progress(
            `drill ${job.name} (${job.group.label}): ${report.passed ? 'passed' : 'FAILED'}, ${report.outcome}, RTO ${report.rtoMs === null ? 'n/a' : formatDuration(report.rtoMs)}, ${report.rpo.ackedRowsLost ?? 'n/a'} acked rows lost`,
          );
        } catch (error) {
          progress(`drill ${job.name}: did not run (${(error as Error).message.split('\n')[0]})`);
        }
      }
    };
    progress(`drills: ${jobs.length} runs (${groups.map((g) => `${g.label} × ${g.runs}`).join(', ')}), ${concurrency} at a time`);
    await Promise.all(Array.from({ length: Math.min(concurrency, jobs.length) }, worker));
    const all = [...reports.values()].flat();
    return {
      status: 'measured',
      runsPerScenario: Math.max(...groups.map((g) => g.runs)),
      concurrency,
      shortened: all[0]?.shortened ?? [],
      scenarios: groups.flatMap((g) => groupRows(g, reports.get(g)!)),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
