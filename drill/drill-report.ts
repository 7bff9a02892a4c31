/**
 * What a drill measured and observed: the contract of `npm run drill -- --json FILE`, and what the
 * HTML report is rendered from. Times in the timeline and series are milliseconds since the drill
 * started; durations (`detectionMs`, `rtoMs`, `appDowntimeMs`) are measured from the fault.
 */

/** Scenarios of several legs, run one after the other on one stack (drill/legs.ts); the others are one fault each (drill/scenarios.ts). */
export const SEQUENCE_SCENARIOS = ['second-failover', 'round-trip', 'double-region'] as const;
export const DRILL_SCENARIOS = ['region-outage', 'region-isolated', 'primary-crash', 'false-alarm', 'lagging-dr', 'switchover', 'dns-down', 'fence-refused', 'partition', 'control-partition', 'primary-stall', 'monitor-path-loss', 'sync-standby-loss', 'ssm-region-down', 'dependency-blip', ...SEQUENCE_SCENARIOS] as const;
export type DrillScenario = (typeof DRILL_SCENARIOS)[number];
export type SequenceScenario = (typeof SEQUENCE_SCENARIOS)[number];
export type SingleFaultScenario = Exclude<DrillScenario, SequenceScenario>;

export type DrillOutcome = 'promoted' | 'not-promoted';

export interface TimelineStep {
  step: string;
  startMs: number;
  endMs: number;
}

/** One value of a metric as the monitor published it, `t` ms since the drill started. */
export interface SeriesPoint {
  t: number;
  v: number;
}

/** How a node was found at the end, by asking it directly (never from the workflow's own output). */
export type ObservedRole = 'writable' | 'read-only' | 'standby' | 'down';

export interface KeptStack {
  /** `npm run drill -- --down` removes it. */
  stateFile: string;
  emulatorEndpoint: string;
  configFile: string;
  nodes: Array<{ cluster: string; node: string; host: string; port: number; user: string; passwordSource: string }>;
  /** Superuser access over the unix socket (trust), for inspection. */
  superuser: string[];
}

/** Each node as observed by asking it (never from the workflow's output). */
export type ObservedNode = { name: string; configuredRole: string; observed: ObservedRole; instanceState: string | null; timeline: number | null; upstream: string | null };

/**
 * One leg of a drill: a fault or an operator action, the response, and what was found after it.
 * A single-fault scenario has one leg; `second-failover` and `round-trip` have several, run one
 * after the other on the same stack without editing the configuration.
 */
export interface DrillLeg {
  name: string;
  /** What the drill did (the fault or the operator's request), as it reported it. */
  action: string;
  /** Started by the failover alarm (false: an operator action, or the end of a fault). */
  alarmDriven: boolean;
  expected: { writer: string; description: string };
  /** The writer when the leg started and when it ended, found by observation (record and nodes). */
  writerBefore: string;
  writerAfter: string | null;
  /** The writer's timeline after the leg. */
  writerTimeline: number | null;
  startMs: number;
  endMs: number;
  faultAtMs: number | null;
  detectionMs: number | null;
  rtoMs: number | null;
  appDowntimeMs: number;
  dnsRtoMs: number | null;
  rpo: DrillReport['rpo'];
  /** The node the workflow fenced (its receipt), or null. */
  fenced: string | null;
  reasons: string[];
  problems: string[];
  /** This leg's own steps (a section of the report's `timeline`). */
  timeline: TimelineStep[];
  nodes: ObservedNode[];
  /** The control region whose stack ran the execution that acted (its receipt's stackRegion); null: no execution acted. */
  actedBy?: string | null;
  /** With a control plane per region: every execution the stacks started for this leg's fault, and how each ended. */
  stacks?: StackTurn[];
  /** A sequence with an RTO goal (double-region), when the writer moved: the goal (ms) and whether `rtoMs` met it (reported, not a check). */
  rtoGoalMs?: number;
  withinRtoGoal?: boolean;
}

/** One stack's execution for a fault: which control region ran it, and its receipt's outcome. */
export interface StackTurn {
  region: string;
  execution: string;
  outcome: string;
}

export interface DrillReport {
  scenario: DrillScenario;
  cluster: string;
  /** Configuration file the stack was built from (the template, not the generated copy). */
  config: string;
  startedAt: string;
  durationMs: number;
  /** The scenario's expected outcome happened and every check held (the exit code is 0). */
  passed: boolean;
  expected: { outcome: DrillOutcome; promoted: string | null; description: string };
  /** Why `passed` is false: each failed expectation or the error that stopped the drill. */
  problems: string[];
  outcome: DrillOutcome;
  /** The node found writable in place of the old primary, or null. */
  promoted: string | null;
  /** The workflow's own reasons (receipt), in order. */
  reasons: string[];
  timeline: TimelineStep[];
  /** When the fault was injected (ms since start), or null when it never was. */
  faultAtMs: number | null;
  /** Fault → the failover alarm entered ALARM (null: no alarm, e.g. a planned switchover). */
  detectionMs: number | null;
  /**
   * Fault → first successful application write through a DATABASE_URL read from SSM after the
   * application lost its connection. Null when the application was never interrupted or never recovered.
   */
  rtoMs: number | null;
  /** Time the application could not write: last success before each failure → next success. */
  appDowntimeMs: number;
  /**
   * Fault → the cluster record as a client resolving it sees it: the moment Route 53 reports the
   * change to the new writer INSYNC (read back from Route 53), plus the record's TTL (a resolver
   * honouring the TTL may serve the old answer that long). Null when the record never moved.
   */
  dnsRtoMs: number | null;
  /** How the drill modelled Route 53 and what the receipt said about DNS. */
  dnsModel: { pendingMs: number; ttlSeconds: number; pending: string | null };
  rpo: {
    /** Acknowledged rows missing on the node now holding the data (null: no writer to check). */
    ackedRowsLost: number | null;
    ackedRows: number;
    /** The receipt's estimate of the WAL the promoted node had not received. */
    receiptBytes: number | null;
    receiptSeconds: number | null;
    /** The receipt's upper bound, with the writes after the writer's last observation extrapolated. */
    receiptUpperBoundBytes: number | null;
  };
  dns: { record: string; target: string | null };
  ssm: Array<{ region: string; name: string; host: string; port: number }>;
  /** The old primary's instance is stopped and its PostgreSQL does not run. */
  oldPrimaryFenced: boolean;
  /** Each node at the end, from the node itself: role, instance, timeline, and the node it streams from. */
  nodes: ObservedNode[];
  /**
   * Each leg in order. For a single-fault scenario one leg with the figures above; for a sequence
   * the top-level figures (fault, detection, RTO, DNS) are the last fault's and `rpo` sums the legs.
   */
  legs: DrillLeg[];
  /** Rounds of the split-brain probe (a fresh application session tries a write on every node every 200 ms), the most writers any round saw, and the rounds that saw more than one. */
  probe: { rounds: number; maxWriters: number; splitRounds?: number } | null;
  /** sync-standby-loss: the longest time without a commit on the primary after its synchronous standby was lost (ms); null for the others. */
  commitGapMs?: number | null;
  /** A new writer with a standby streaming from it in its own region: whether the record named a synchronous standby for it, within 60 s of the drill first seeing it stream (issue 22). */
  synchronousAfter?: SynchronousAfter | null;
  app: {
    parameter: { region: string; name: string };
    writes: number;
    failures: number;
    urlReads: number;
    interrupted: boolean;
    recovered: boolean;
    lastError: string | null;
  };
  alarm: {
    name: string;
    metric: string;
    statistic: string;
    threshold: number;
    comparison: string;
    periodSeconds: number;
    evaluationPeriods: number;
    datapointsToAlarm: number;
    treatMissingData: string;
    transitions: Array<{ atMs: number; from: string; to: string; reason: string }>;
  };
  /** Knobs the drill runs faster than deployed, and how. */
  shortened: string[];
  series: {
    primaryReachable: SeriesPoint[];
    lag: Array<{ node: string; seconds: SeriesPoint[]; bytes: SeriesPoint[] }>;
    rpoSeconds: number;
    maxLagBytes: number;
  };
  /**
   * What the scheduled convergence finished after the fault ended (scenarios whose fault outlasts
   * the workflow: dns-down, ssm-region-down, dependency-blip); null for the others.
   */
  convergence: ConvergenceFigures | null;
  /** The workflow's receipt (failover) or the switchover receipt, as returned. */
  receipt: unknown;
  kept: KeptStack | null;
  error: string | null;
}

/** The scheduled convergence's part in a drill: times from the dependency answering again (ms). */
export interface ConvergenceFigures {
  /** What answered again: "SSM in us-west-2", "DynamoDB in us-east-1", "Route 53". */
  dependency: string;
  /** When it answered again, ms since the drill started. */
  backAtMs: number;
  /** Dependency answering → every DATABASE_URL (read back from SSM) names the writer. */
  urlsOnWriterMs: number | null;
  /** Dependency answering → a failover execution started, the alarm still in ALARM. */
  failoverStartedMs: number | null;
  /** Who started that execution: the convergence (a restart) or the alarm's own event. */
  startedBy: 'convergence' | 'alarm' | null;
  /** The goal for the figure above. */
  goalMs: number;
  /** Scheduled invocations of convergeDns during the drill (EventBridge rate(1 minute)). */
  invocations: number;
}

/** The new writer's synchronous standby once an in-region standby streams from it (issue 22). */
export interface SynchronousAfter {
  writer: string;
  /** Standbys in the writer's region observed streaming from it. */
  inRegionStreaming: string[];
  /** The synchronous standby the cluster record names for the writer at the check (null: none). */
  recorded: string | null;
  /** When the check ended, ms after the fault (it waits until the record names one, or 60 s after it first saw the standby stream). */
  checkedAtMs: number;
  /** How long the check waited from first seeing the in-region standby stream, ms. */
  waitedMs: number;
  /** An in-region standby streams and the record names no synchronous standby at the end of the check. */
  leftWithout: boolean;
  /** The monitor's last synchronous-standby outcome for the cluster at the check: why it did nothing, or its verdict's reason (null: none yet). */
  monitorSaid: string | null;
}
