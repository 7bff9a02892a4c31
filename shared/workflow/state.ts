import * as z from 'zod';
import { nameSchema } from '../config/schema';

/** Who accepted a risk on the record: a person's or role's name, no control characters. */
export const operatorNameSchema = z
  .string()
  .min(1)
  .max(128)
  .refine((value) => [...value].every((c) => c.charCodeAt(0) >= 32 && c.charCodeAt(0) !== 127), 'a name without control characters');
import type { CandidateVerdict, OutageVerdict } from '../decisions/types';
import type { LeaseFact, LeaseObservation } from '../decisions/writer-lease';
import type { CrossRegionGate, WitnessVerdict } from '../decisions/witness';
import type { StepTiming } from '../time';
import type { DatabaseUrlWrite, RecordRepoint } from '../actions/repoint';
import type { FollowersResult } from '../decisions/followers';


/**
 * Earlier steps' results, as far as later steps act on them (each Task receives the whole state,
 * and `promote: "false"` is truthy): a malformed one is refused by its path, never acted upon.
 * Their other fields are kept as they are.
 */
const stepResultsSchema = z.looseObject({
  lease: z.looseObject({ acquired: z.boolean(), generation: z.number().int().min(0).optional() }).optional(),
  outage: z
    .looseObject({
      decision: z.enum(['confirmed', 'recheck', 'not-confirmed', 'undecided']),
      attempt: z.number().int().min(1).max(1000),
      regionHealthy: z.boolean(),
      cloudEvidence: z.boolean().optional(),
      startingUpSince: z.iso.datetime().nullable().optional(),
      crossRegion: z.looseObject({ allowed: z.boolean(), reason: z.string().max(4000) }).optional(),
    })
    .optional(),
  candidate: z
    .looseObject({ promote: z.boolean(), node: nameSchema.optional(), previousPrimary: nameSchema, generation: z.number().int().min(1) })
    .optional(),
  fence: z.looseObject({ proceed: z.boolean() }).optional(),
  promotion: z.looseObject({ node: nameSchema }).optional(),
  error: z.looseObject({ Error: z.string().max(1000), Cause: z.string().max(262144) }).optional(),
});

/**
 * The state a failover execution carries from step to step. The trigger (or an operator request)
 * creates the fields below; every Task adds its own result under its own key (ResultPath).
 */
export const executionInputSchema = z.looseObject({
  cluster: nameSchema,
  /** Execution name: the lease holder, derived from the incident. */
  executionName: z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'an execution name of letters, digits, "-" or "_" (max 80)'),
  mode: z.enum(['automatic', 'manual']),
  acceptDataLoss: z.boolean(),
  requestedNode: nameSchema.optional(),
  /** An operator's explicit acceptance of moving traffic without a proven fence (manual only). */
  acceptUnfenced: z.strictObject({ acceptedBy: operatorNameSchema }).optional(),
  incident: z.strictObject({ alarmName: z.string().max(255), at: z.string().max(64), reason: z.string().max(2000) }),
  /** Used by the Wait state (SecondsPath): waits come from configuration, not the definition. */
  policy: z.strictObject({ recheckAfterSeconds: z.number().int().min(0).max(600) }),
}).superRefine((state, context) => {
  for (const { path, message } of stepResultsSchema.safeParse(state).error?.issues ?? []) context.addIssue({ code: 'custom', path, message });
});

export type ExecutionInput = z.infer<typeof executionInputSchema>;

/**
 * An execution's name, from the cluster, what started it and when: an alarm's names come from the
 * time it entered ALARM, so a delivered-twice event maps to the same name and Step Functions starts
 * it once. Always a valid name (letters, digits, "-", "_"; at most 80).
 */
export const executionNameFor = (cluster: string, kind: 'alarm' | 'manual', timestamp: string): string => {
  const stamp = timestamp.replace(/[^0-9]/g, '').slice(0, 17);
  return `${cluster}-${kind}-${stamp}`.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80);
};

/**
 * Whether `name` is one of `cluster`'s failover executions (executionNameFor's names): exact, so
 * that the executions of a cluster `app-2` are never taken for those of `app`.
 */
export const isExecutionOf = (cluster: string, name: string): boolean =>
  (['alarm', 'manual'] as const).some((kind) => {
    const stem = executionNameFor(cluster, kind, '');
    return name.startsWith(stem) && /^\d*$/.test(name.slice(stem.length));
  });


export interface LeaseResult extends StepTiming {
  acquired: boolean;
  /**
   * When this execution took the lease (ms since the epoch). The lease serialises writers, so a
   * later holder has a higher generation: the DNS intent's writes are ordered by it.
   */
  generation?: number;
  /** Automatic failover is paused (the lease was not taken; the receipt says by whom and why). */
  paused: boolean;
  /**
   * This stack is passive for the cluster: the recorded writer is in its own region, so the stacks in
   * the other control regions arbitrate (the lease was not taken; decisions/arbiter.ts).
   */
  passive?: boolean;
  reason?: string;
  heldBy?: string;
}

/** One check of the outage, as the receipt lists them. */
export interface OutageCheck {
  at: string;
  decision: OutageVerdict['decision'];
  /** Each signal's answer: `ec2: down (api-unreachable)`. */
  signals: string[];
  alarmState: string | null;
  /** The writer lease as this check judged it (held, expired, unknown); absent when not judged. */
  writerLease?: LeaseFact;
}

export type OutageResult = OutageVerdict &
  StepTiming & {
    primary: string;
    /** Generation of the cluster record the writer was read from. */
    generation?: number;
    /** When this execution first checked (the re-check deadline counts from it). */
    firstCheckAt: string;
    /** Every check so far, oldest first (at most the last 60). */
    checks: OutageCheck[];
    /** When the checks began to see the writer answer only 57P03 in a row (policy.startingUpGraceSeconds counts from it). */
    startingUpSince?: string | null;
    /** The writer lease as this check judged it (absent before writer agents existed). */
    writerLease?: { lease: LeaseFact; detail: string; gate: string; observation: LeaseObservation | null };
    /** On a confirmed outage with a standby in another region: what the witness saw, judged. */
    witness?: WitnessVerdict;
    /** Whether a promotion into another region than the writer's may go on (absent: not asked, so not allowed). */
    crossRegion?: CrossRegionGate;
  };

export type CandidateResult = CandidateVerdict &
  StepTiming & {
    /** The writer whose failure is handled (from the cluster record and the nodes). */
    previousPrimary: string;
    /** Its timeline, when known. */
    timeline?: number | null;
    /** Generation of the cluster record this choice was made from. */
    generation: number;
    standbys: Array<{ node: string; reachable: boolean; inRecovery: boolean; receiveLsn: number | null; follows: boolean | null }>;
  };

export interface FenceResult extends StepTiming {
  node: string;
  instanceId: string;
  fenced: boolean;
  proceed: boolean;
  /** The last state EC2 reported (null: it never answered). */
  instanceState: string | null;
  /** The incident tag was written before the stop. */
  tagged: boolean;
  waitedMs: number;
  reason: string;
  /** Who fenced: the control plane, or the witness (when the control plane could not reach the EC2 API and the witness could). */
  fencedBy?: 'control-plane' | 'witness';
}

export interface PromotionResult extends StepTiming {
  node: string;
  alreadyPrimary: boolean;
  /** Position the new timeline started from. */
  lsn: number | null;
  /** Time from calling pg_promote to the first successful write. */
  promoteMs: number;
  /** The timeline the new writer writes on. */
  timeline: number | null;
  /** Generation of the cluster record that names it the writer. */
  generation: number;
  /** WAL it fetched, before promotion, from a standby that had received more. */
  catchUp?: { from: string | null; bytes: number; caughtUp: boolean; ms: number; detail: string };
}

export type DnsResult = RecordRepoint & StepTiming;

/** What the Repoint state's DNS branch ends with when Route 53 did not take the change. */
export interface DnsPending {
  status: 'pending';
  node: string;
  error: { Error: string; Cause: string };
}

export interface DatabaseUrlResult extends StepTiming {
  parameters: DatabaseUrlWrite[];
}

/** What the Repoint state's DATABASE_URL branch ends with when a region was not written. */
export interface DatabaseUrlFailed {
  failed: true;
  error: { Error: string; Cause: string };
}

/** What the Repoint state's followers branch ends with when it could not finish. */
export interface FollowersFailed {
  failed: true;
  error: { Error: string; Cause: string };
}

/** The Repoint state's result: its three branches, which never wait on each other. */
export interface RepointResult {
  databaseUrl: DatabaseUrlResult | DatabaseUrlFailed;
  dns: DnsResult | DnsPending;
  followers: (FollowersResult & StepTiming) | FollowersFailed;
}

/** The whole state as the last steps see it. Earlier steps' keys are optional. */
export type FailoverState = ExecutionInput & {
  lease?: LeaseResult;
  outage?: OutageResult;
  candidate?: CandidateResult;
  fence?: FenceResult;
  promotion?: PromotionResult;
  repoint?: RepointResult;
  error?: { Error: string; Cause: string };
};
