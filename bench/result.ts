import { cpus, loadavg, totalmem } from 'node:os';
import type { ColdStartResult } from './cold-start';
import type { DetectionResult } from './detection';
import type { DrillResult } from './drill-rto';
import type { OverheadResult } from './failover-overhead';
import type { ScalePoint } from './monitor-scale';

/** The numbers measured before the optimisations this bench led to (bench/baseline.json). */
export interface Baseline {
  description: string;
  measuredAt: string;
  overhead: { runs: number; floorMedianMs: number; fullMedianMs: number; ratio: number; states: Array<{ name: string; ms: number }> };
  coldStart: {
    functions: Array<{ name: string; zipBytes: number; bytes: number; deflatedBytes: number; loadMs: number; awsClients: string[] }>;
    naive: { bytes: number; deflatedBytes: number; loadMs: number };
    largestZipBytes: number;
    largestSizeRatio: number;
    slowestLoadRatio: number;
  };
}

export interface Machine {
  cores: number;
  cpu: string;
  memoryGiB: number;
  node: string;
  platform: string;
}

export const machine = (): Machine => ({
  cores: cpus().length,
  cpu: cpus()[0]?.model.trim() ?? 'unknown',
  memoryGiB: Math.round(totalmem() / 2 ** 30),
  node: process.version,
  platform: `${process.platform}-${process.arch}`,
});

/** One-minute load average: how busy the machine was (other work skews a bench on 2 cores). */
export const load = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

export interface SectionRun<T> {
  durationSeconds: number;
  loadBefore: number;
  loadAfter: number;
  result: T;
}

/** Everything one `npm run bench` measured: docs/benchmarks.json. */
export interface BenchResult {
  date: string;
  machine: Machine;
  durationSeconds: number;
  overhead?: SectionRun<OverheadResult>;
  detection?: SectionRun<DetectionResult>;
  coldStart?: SectionRun<ColdStartResult>;
  monitorScale?: SectionRun<ScalePoint[]>;
  drills?: SectionRun<DrillResult>;
  baseline: Baseline;
}
