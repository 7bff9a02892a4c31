import type { FenceFacts } from './fence';
import type { Signal } from './types';

/**
 * What the witness (a function in `witnessRegion`, outside the control region and the primary's)
 * saw of one node from its own network: its database probe and its region's EC2 API, exactly as
 * the control plane's own database and EC2 signals report them.
 */
export interface WitnessFacts {
  /** The region the witness ran in. */
  region: string;
  node: string;
  /** The witness's database probe (the confirmation's probe, from the witness's network). */
  database: Signal;
  /** The node's regional EC2 API as the witness reached it (the confirmation's EC2 signal). */
  ec2: Signal;
  /** When asked to fence: what the witness's fence saw (absent otherwise). */
  fence?: FenceFacts;
}

/** The witness could not be asked (invocation failed, timed out, or the function failed). */
export interface WitnessUnavailable {
  region: string | null;
  error: string;
}

export type WitnessAnswer = WitnessFacts | WitnessUnavailable;

/**
 * - `agrees-down`: the witness cannot reach the database either, and its EC2 view says the instance
 *   is not running (or impaired), or the regional API does not answer it either.
 * - `sees-alive`: the witness reaches the database, or EC2 tells it the instance is running and
 *   healthy (the host may still be writing: a crashed PostgreSQL and a region whose network is out
 *   look the same from outside, and neither is proof that nothing writes).
 * - `unknown`: the witness could not be asked, or one of its views could not tell.
 */
export type WitnessJudgement = 'agrees-down' | 'sees-alive' | 'unknown';

export interface WitnessVerdict {
  verdict: WitnessJudgement;
  /** The witness's region (null: no witness configured or it never answered with one). */
  region: string | null;
  reason: string;
}

const isUnavailable = (answer: WitnessAnswer): answer is WitnessUnavailable => 'error' in answer;

/** Judges what the witness saw. Fail-closed: only two views that both say "gone" agree. Pure. */
export const judgeWitness = (answer: WitnessAnswer): WitnessVerdict => {
  if (isUnavailable(answer)) {
    return { verdict: 'unknown', region: answer.region, reason: `the witness${answer.region ? ` in ${answer.region}` : ''} could not be asked: ${answer.error}` };
  }
  const { database, ec2, region } = answer;
  const from = `the witness in ${region}`;
  const seen = `database: ${database.cause} (${database.detail}); EC2: ${ec2.cause} (${ec2.detail})`;
  if (database.down === false) return { verdict: 'sees-alive', region, reason: `${from} reaches ${answer.node}'s database: ${seen}` };
  if (ec2.down === false) {
    return { verdict: 'sees-alive', region, reason: `${from} is told by EC2 that ${answer.node}'s instance is running and healthy (it may still be writing): ${seen}` };
  }
  if (database.down === null || ec2.down === null) return { verdict: 'unknown', region, reason: `${from} could not tell: ${seen}` };
  return { verdict: 'agrees-down', region, reason: `${from} agrees ${answer.node} is gone: ${seen}` };
};

/** The writer lease's word on the old writer (another input of the gate; 'unknown' until it is read). */
export type LeaseView = 'held' | 'expired' | 'unknown';

export interface CrossRegionGate {
  allowed: boolean;
  reason: string;
}

/**
 * May a standby in another region than the writer be promoted? Only when the witness agrees the
 * writer is gone, or the writer's lease has expired (a writer that cannot renew it has stopped
 * writing). A witness that could not be asked, or sees the writer alive, blocks it. Pure.
 */
export const crossRegionGate = ({ witness, lease }: { witness: WitnessVerdict; lease: LeaseView }): CrossRegionGate => {
  if (witness.verdict === 'agrees-down') return { allowed: true, reason: `cross-region promotion allowed: ${witness.reason}` };
  if (lease === 'expired') return { allowed: true, reason: `cross-region promotion allowed: the writer's lease expired (witness: ${witness.verdict}: ${witness.reason})` };
  return {
    allowed: false,
    reason: `no cross-region promotion: the witness ${witness.verdict === 'sees-alive' ? 'sees the writer alive' : 'verdict is unknown'} and the writer's lease is ${lease} (${witness.reason})`,
  };
};
