import type { StepTiming } from '../time';
import { boundUntilStopped } from './lag';
import type { FailoverState, OutageCheck } from '../workflow/state';

export type Outcome = 'promoted' | 'no-failover' | 'undecided' | 'refused' | 'lease-held' | 'paused' | 'passive' | 'failed';

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
    /** Whether the promoted node held every commit the old writer acknowledged (its recorded synchronous standby), and why. */
    acknowledged: { zeroLoss: boolean; detail: string } | null;
  } | null;
  /** `fencedBy`: set when the fence step recorded who fenced (the witness when the control plane could not reach EC2). */
  fencing: { node: string; fenced: boolean; reason: string; instanceState: string | null; acceptedUnfencedBy: string | null; fencedBy?: 'control-plane' | 'witness' } | null;
  /** The new writer's timeline and the cluster record's generation after the promotion. */
  timeline: number | null;
  generation: number | null;
  /** Every other node after the promotion: re-pointed and streaming, or why not. */
  followers: Array<{ node: string; outcome: string; repointed: boolean; detail: string }>;
  /** synchronous_standby_names the new writer was left with (null: not set by this execution). */
  synchronousStandbyNames: string | null;
  /**
   * The Route 53 record: `in-sync`, `propagating` (accepted, not yet INSYNC), `superseded` (a newer
   * writer owns it) or `pending` (Route 53 refused; the DNS convergence applies it when it answers).
   */
  dns: {
    status: 'in-sync' | 'propagating' | 'superseded' | 'pending';
    record: string | null;
    target: string | null;
    node: string;
    syncMs: number | null;
    reason: string | null;
  } | null;
  /** "DNS pending: <reason>" when the writer moved but the record did not (yet); else null. */
  dnsPending: string | null;
  databaseUrl: Array<{ region: string; name: string; host: string; port: number }>;
  steps: Array<{ step: string; startedAt: string; endedAt: string; ms: number }>;
  startedAt: string;
  finishedAt: string;
  totalMs: number;
  error: { name: string; message: string } | null;
  /** The control region whose stack ran the execution (set as it is published; absent from a receipt built elsewhere). */
  stackRegion?: string;
}

const STEP_KEYS = ['lease', 'outage', 'candidate', 'fence', 'promotion'] as const;

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
  if (state.lease?.paused) return 'paused';
  if (state.lease?.passive) return 'passive';
  if (state.lease && !state.lease.acquired) return 'lease-held';
  if (state.outage?.decision === 'undecided' && state.mode === 'automatic') return 'undecided';
  if (state.outage && state.outage.decision !== 'confirmed' && state.mode === 'automatic') return 'no-failover';
  if (state.candidate && !state.candidate.promote) return 'refused';
  if (state.fence && !state.fence.proceed) return 'refused';
  return state.promotion ? 'promoted' : 'failed';
};

const timingOf = (result: unknown): StepTiming | null => {
  const r = result as Partial<StepTiming> | undefined;
  return r?.startedAt && r.endedAt && typeof r.ms === 'number' ? { startedAt: r.startedAt, endedAt: r.endedAt, ms: r.ms } : null;
};

const dnsOf = (state: FailoverState): Receipt['dns'] => {
  const dns = state.repoint?.dns;
  if (!dns) return null;
  if (dns.status === 'pending') {
    return { status: 'pending', record: null, target: null, node: dns.node, syncMs: null, reason: `${dns.error.Error}: ${errorMessage(dns.error.Cause)}` };
  }
  return { status: dns.status, record: dns.record, target: dns.target, node: dns.node, syncMs: dns.syncMs, reason: dns.reason ?? null };
};

/** Builds the receipt from the execution state. Pure. */
export const buildReceipt = (state: FailoverState, now: Date): Receipt => {
  const branch = state.repoint?.followers;
  const followers = branch && !('failed' in branch) ? branch : undefined;
  const stepResults: Array<[string, unknown]> = [
    ...STEP_KEYS.map((key): [string, unknown] => [key, state[key]]),
    ['databaseUrl', state.repoint?.databaseUrl],
    ['dns', state.repoint?.dns],
    ['followers', followers],
  ];
  const steps = stepResults.flatMap(([step, result]) => {
    const timing = timingOf(result);
    return timing ? [{ step, ...timing }] : [];
  });
  const dns = dnsOf(state);
  const dnsPending = dns?.status === 'pending' ? `DNS pending: ${dns.reason}` : null;
  const urls = state.repoint?.databaseUrl;
  const startedAt = steps[0]?.startedAt ?? now.toISOString();
  const candidate = state.candidate;
  const reasons = [
    ...(state.lease && !state.lease.acquired ? [state.lease.reason ?? 'lease not acquired'] : []),
    ...(state.outage ? [state.outage.reason] : []),
    ...(state.outage?.crossRegion ? [state.outage.crossRegion.reason] : []),
    ...(candidate ? candidate.reasons : []),
    ...(state.fence ? [state.fence.reason] : []),
    ...(state.promotion?.catchUp?.from ? [state.promotion.catchUp.detail] : []),
    ...(state.promotion ? [state.promotion.alreadyPrimary ? `${state.promotion.node} was already primary` : `${state.promotion.node} promoted in ${state.promotion.promoteMs} ms`] : []),
    ...(dnsPending ? [dnsPending] : []),
    ...(followers ? followers.followers.map((f) => f.detail) : []),
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
            // A confirmed fence bounds the writes nobody saw: the old writer wrote until its instance was stopped.
            ...(state.fence?.fenced && state.fence.endedAt
              ? boundUntilStopped(candidate.lag, Date.parse(state.fence.endedAt))
              : { upperBoundBytes: candidate.lag.upperBoundBytes ?? null, upperBoundSeconds: candidate.lag.upperBoundSeconds ?? null }),
            acceptedByOperator: state.acceptDataLoss,
            acknowledged: candidate.acknowledged ?? null,
          }
        : null,
    fencing: state.fence
      ? {
          node: state.fence.node,
          fenced: state.fence.fenced,
          reason: state.fence.reason,
          instanceState: state.fence.instanceState ?? null,
          acceptedUnfencedBy: !state.fence.fenced && state.fence.proceed ? (state.acceptUnfenced?.acceptedBy ?? null) : null,
          ...(state.fence.fencedBy ? { fencedBy: state.fence.fencedBy } : {}),
        }
      : null,
    timeline: state.promotion?.timeline ?? null,
    generation: followers?.generation ?? state.promotion?.generation ?? null,
    followers: followers?.followers.map(({ node, outcome, repointed, detail }) => ({ node, outcome, repointed, detail })) ?? [],
    synchronousStandbyNames: followers?.synchronousStandbyNames ?? null,
    dns,
    dnsPending,
    databaseUrl: urls && 'parameters' in urls ? urls.parameters.map(({ region, name, host, port }) => ({ region, name, host, port })) : [],
    steps,
    startedAt,
    finishedAt: now.toISOString(),
    totalMs: now.getTime() - new Date(startedAt).getTime(),
    error: state.error ? { name: state.error.Error, message: errorMessage(state.error.Cause) } : null,
  };
};
