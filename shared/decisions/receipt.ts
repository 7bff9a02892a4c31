import type { StepTiming } from '../time';
import type { FailoverState, OutageCheck } from '../workflow/state';

export type Outcome = 'promoted' | 'no-failover' | 'undecided' | 'refused' | 'lease-held' | 'failed';

/** What a failover did, why, what it cost and how long each step took. */
export interface Receipt {
  cluster: string;
  execution: string;
  mode: 'automatic' | 'manual';
  outcome: Outcome;
  promoted: string | null;
  previousPrimary: string | null;
  alreadyPrimary: boolean;
  reasons: string[];
  incident: FailoverState['incident'];
  /** Every outage check this execution made, oldest first. */
  outageChecks: OutageCheck[];
  /** WAL the promoted node had not received, measured against the best known writer position. */
  dataLoss: {
    /** Measured: WAL the promoted node had not received, against the best position anyone saw. */
    bytes: number;
    seconds: number | null;
    basis: string;
    /** With the writes after the writer's last observation extrapolated (null when not possible). */
    upperBoundBytes: number | null;
    upperBoundSeconds: number | null;
    acceptedByOperator: boolean;
  } | null;
  fencing: { node: string; fenced: boolean; reason: string; instanceState: string | null; acceptedUnfencedBy: string | null } | null;
  dns: { record: string; target: string } | null;
  databaseUrl: Array<{ region: string; name: string; host: string; port: number }>;
  steps: Array<{ step: string; startedAt: string; endedAt: string; ms: number }>;
  startedAt: string;
  finishedAt: string;
  totalMs: number;
  error: { name: string; message: string } | null;
}

const STEP_KEYS = ['lease', 'outage', 'candidate', 'fence', 'promotion', 'dns', 'databaseUrl'] as const;

/** Step Functions wraps a Lambda error's message in a JSON Cause; local runs pass it plain. */
const errorMessage = (cause: string): string => {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: string };
    return parsed.errorMessage ?? cause;
  } catch {
    return cause;
  }
};

const outcomeOf = (state: FailoverState): Outcome => {
  if (state.error) return 'failed';
  if (state.lease && !state.lease.acquired) return 'lease-held';
  if (state.outage?.decision === 'undecided' && state.mode === 'automatic') return 'undecided';
  if (state.outage && state.outage.decision !== 'confirmed' && state.mode === 'automatic') return 'no-failover';
  if (state.candidate && !state.candidate.promote) return 'refused';
  if (state.fence && !state.fence.proceed) return 'refused';
  return state.promotion ? 'promoted' : 'failed';
};

/** Builds the receipt from the execution state. Pure. */
export const buildReceipt = (state: FailoverState, now: Date): Receipt => {
  const steps = STEP_KEYS.flatMap((key) => {
    const result = state[key] as StepTiming | undefined;
    return result ? [{ step: key, startedAt: result.startedAt, endedAt: result.endedAt, ms: result.ms }] : [];
  });
  const startedAt = steps[0]?.startedAt ?? now.toISOString();
  const candidate = state.candidate;
  const reasons = [
    ...(state.lease && !state.lease.acquired ? [state.lease.reason ?? 'lease not acquired'] : []),
    ...(state.outage ? [state.outage.reason] : []),
    ...(candidate ? candidate.reasons : []),
    ...(state.fence ? [state.fence.reason] : []),
    ...(state.promotion ? [state.promotion.alreadyPrimary ? `${state.promotion.node} was already primary` : `${state.promotion.node} promoted in ${state.promotion.promoteMs} ms`] : []),
    ...(state.error ? [`${state.error.Error}: ${errorMessage(state.error.Cause)}`] : []),
  ];
  return {
    cluster: state.cluster,
    execution: state.executionName,
    mode: state.mode,
    outcome: outcomeOf(state),
    promoted: state.promotion?.node ?? null,
    previousPrimary: candidate?.previousPrimary ?? state.outage?.primary ?? null,
    alreadyPrimary: state.promotion?.alreadyPrimary ?? false,
    reasons,
    incident: state.incident,
    outageChecks: state.outage?.checks ?? [],
    dataLoss:
      candidate?.promote && state.promotion
        ? {
            bytes: candidate.lag.bytes,
            seconds: candidate.lag.seconds,
            basis: candidate.lag.basis,
            upperBoundBytes: candidate.lag.upperBoundBytes ?? null,
            upperBoundSeconds: candidate.lag.upperBoundSeconds ?? null,
            acceptedByOperator: state.acceptDataLoss,
          }
        : null,
    fencing: state.fence
      ? {
          node: state.fence.node,
          fenced: state.fence.fenced,
          reason: state.fence.reason,
          instanceState: state.fence.instanceState ?? null,
          acceptedUnfencedBy: !state.fence.fenced && state.fence.proceed ? (state.acceptUnfenced?.acceptedBy ?? null) : null,
        }
      : null,
    dns: state.dns ? { record: state.dns.record, target: state.dns.target } : null,
    databaseUrl: state.databaseUrl?.parameters.map(({ region, name, host, port }) => ({ region, name, host, port })) ?? [],
    steps,
    startedAt,
    finishedAt: now.toISOString(),
    totalMs: now.getTime() - new Date(startedAt).getTime(),
    error: state.error ? { name: state.error.Error, message: errorMessage(state.error.Cause) } : null,
  };
};
