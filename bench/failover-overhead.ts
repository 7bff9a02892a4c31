import { loadDefinition } from '../local/state-machine';
import type { Receipt } from '../shared/decisions/receipt';
import { floorRun, fullRun, type CallCounts, type FloorRun, type FullRun } from './failover-runs';
import { progress } from './progress';
import { median, medianParts, ratio, round, roundOrNull, shares, spread, type Spread } from './stats';

/** The overhead target: the whole state machine within 1.5 × the floor. */
export const OVERHEAD_TARGET = 1.5;

export interface StateShare {
  name: string;
  ms: number;
  share: number;
  awsCalls: number;
  pgConnects: number;
}

export interface OverheadResult {
  runs: number;
  target: number;
  floorMs: Spread;
  /** The floor less the time pg_promote(true, …) waited after the node had already left recovery. */
  physicalFloorMs: Spread;
  fullMs: Spread;
  /** median(full) / median(floor): the figure the target is about. */
  ratio: number | null;
  /** median(full) / median(physical floor). */
  ratioToPhysicalFloor: number | null;
  /** Median of each run's full / floor: pairs run back to back, so load changes between pairs cancel. */
  pairedRatio: number | null;
  floorParts: Array<{ name: string; ms: number }>;
  /** Median time per state of the execution timeline, its share of the median total, and its calls. */
  states: StateShare[];
  /** Time inside the execution not spent in any state: the local runner's transitions and the trigger. */
  betweenStatesMs: number;
  receiptTotalMs: number;
  /**
   * The receipt's start → the end of its last DATABASE_URL write: how long the state machine takes
   * until applications can move (the repoint ends the floor too; the DNS and followers branches run
   * beside it, the receipt and the lease come after). Older results lack it.
   */
  movedMs?: Spread | null;
  /** median(moved) / median(floor). */
  movedRatio?: number | null;
  calls: { floor: CallCounts; full: CallCounts };
  /** The state machine's outside calls by kind: median per run of their summed time and count, longest first. */
  slowestCalls: Array<{ name: string; ms: number; count: number }>;
  samples: { floor: number[]; full: number[] };
}

const roundSpread = (s: Spread): Spread => ({ n: s.n, min: round(s.min), median: round(s.median), max: round(s.max) });
const medianCounts = (counts: CallCounts[]): CallCounts => ({
  aws: median(counts.map((c) => c.aws)),
  pgConnects: median(counts.map((c) => c.pgConnects)),
  pgQueries: median(counts.map((c) => c.pgQueries)),
});

/** Median per state (time and calls) and its share of the median total. Pure. */
export const stateShares = (runs: FullRun[]): StateShare[] => {
  const total = median(runs.map((r) => r.ms));
  const of = (key: 'ms' | 'awsCalls' | 'pgConnects') => medianParts(runs.map((r) => r.states.map((s) => ({ name: s.name, ms: s[key] }))));
  const calls = new Map(of('awsCalls').map((p) => [p.name, p.ms]));
  const connects = new Map(of('pgConnects').map((p) => [p.name, p.ms]));
  return shares(of('ms'), total).map((s) => ({
    name: s.name,
    ms: round(s.ms),
    share: round(s.share, 3),
    awsCalls: calls.get(s.name) ?? 0,
    pgConnects: connects.get(s.name) ?? 0,
  }));
};

/** The receipt's start → the end of its DATABASE_URL step, ms; null when the step is missing. Pure. */
export const movedAfterMs = (receipt: Pick<Receipt, 'startedAt' | 'steps'>): number | null => {
  const written = receipt.steps.find((s) => s.step === 'databaseUrl');
  return written ? Date.parse(written.endedAt) - Date.parse(receipt.startedAt) : null;
};

/** Median per run of each kind of call's summed time and count, longest first. Pure. */
export const slowestCalls = (runs: FullRun[]): OverheadResult['slowestCalls'] => {
  const counts = new Map(medianParts(runs.map((r) => r.byCall.map((c) => ({ name: c.name, ms: c.count })))).map((p) => [p.name, p.ms]));
  return medianParts(runs.map((r) => r.byCall))
    .map((p) => ({ name: p.name, ms: round(p.ms), count: counts.get(p.name) ?? 0 }))
    .sort((a, b) => b.ms - a.ms);
};

/**
 * Section 1: the whole failover state machine against the floor, on the same stack in the same run.
 * Runs alternate (floor, full, floor, full, …) so machine noise falls on both sides alike; the first
 * pair warms the process up and is not counted.
 */
export const measureOverhead = async (runs: number): Promise<OverheadResult> => {
  const floor: FloorRun[] = [];
  const full: FullRun[] = [];
  for (let i = 0; i <= runs; i += 1) {
    const f = await floorRun();
    const s = await fullRun();
    const label = i === 0 ? 'warm-up' : `run ${i}/${runs}`;
    progress(`failover overhead ${label}: floor ${f.ms.toFixed(0)} ms, state machine ${s.ms.toFixed(0)} ms`);
    if (i === 0) continue;
    floor.push(f);
    full.push(s);
  }
  const fullMedian = median(full.map((r) => r.ms));
  const physical = floor.map((r) => r.ms - r.promoteSlackMs);
  // A Parallel state's time already holds its branches': count the top-level states only.
  const topLevel = new Set(Object.keys(loadDefinition().States));
  const betweenStates = full.map((r) => r.ms - r.states.filter((s) => topLevel.has(s.name)).reduce((sum, s) => sum + s.ms, 0));
  const moved = full.map((r) => movedAfterMs(r.receipt)).filter((v): v is number => v !== null);
  return {
    runs,
    target: OVERHEAD_TARGET,
    floorMs: roundSpread(spread(floor.map((r) => r.ms))),
    physicalFloorMs: roundSpread(spread(physical)),
    fullMs: roundSpread(spread(full.map((r) => r.ms))),
    ratio: roundOrNull(ratio(fullMedian, median(floor.map((r) => r.ms))), 2),
    ratioToPhysicalFloor: roundOrNull(ratio(fullMedian, median(physical)), 2),
    pairedRatio: round(median(full.map((r, i) => r.ms / floor[i]!.ms)), 2),
    floorParts: medianParts(floor.map((r) => r.parts)).map((p) => ({ name: p.name, ms: round(p.ms) })),
    states: stateShares(full),
    betweenStatesMs: round(median(betweenStates)),
    receiptTotalMs: round(median(full.map((r) => r.receipt.totalMs))),
    movedMs: moved.length > 0 ? roundSpread(spread(moved)) : null,
    movedRatio: moved.length > 0 ? roundOrNull(ratio(median(moved), median(floor.map((r) => r.ms))), 2) : null,
    calls: { floor: medianCounts(floor.map((r) => r.calls)), full: medianCounts(full.map((r) => r.calls)) },
    slowestCalls: slowestCalls(full),
    samples: { floor: floor.map((r) => round(r.ms)), full: full.map((r) => round(r.ms)) },
  };
};
