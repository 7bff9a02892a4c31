/** Facts and verdicts of the failover workflow. Decision modules take facts and return verdicts. */

export type SignalName = 'ec2' | 'database' | 'standbys' | 'metrics';

/** A signal's answer: the primary is down, it is up, or this signal cannot tell. */
export type SignalAnswer = 'down' | 'up' | 'unknown';

/** One independent view of the primary. `down: null` means the signal could not tell. */
export interface Signal {
  name: SignalName;
  down: boolean | null;
  /** Why, in a word: `refused`, `timed-out`, `error-reply`, `writable`, `in-recovery`, `api-unreachable`, … */
  cause: string;
  detail: string;
  /** Set by the EC2 signal when the primary region's API did not answer at all (connection errors, timeouts). */
  regionUnreachable?: boolean;
  /** Set by the EC2 signal when EC2 itself reports the instance not running, or a status check impaired. */
  instanceDown?: boolean;
}

/** A signal's three answers, from its `down` field. */
export const answerOf = (signal: Pick<Signal, 'down'>): SignalAnswer => (signal.down === null ? 'unknown' : signal.down ? 'down' : 'up');

export interface OutageVerdict {
  /** `undecided`: still not confirmed when the re-check deadline passed while the alarm stayed in ALARM. */
  decision: 'confirmed' | 'recheck' | 'not-confirmed' | 'undecided';
  /** Checks made so far in this execution (1 for the first). */
  attempt: number;
  /** Consecutive checks so far on which enough signals said "down" (0 when this one did not). */
  streak?: number;
  signals: Signal[];
  /** The primary's region looks healthy (its EC2 API answered). */
  regionHealthy: boolean;
  /**
   * The cloud's own evidence that the primary is gone (EC2 reports its instance not running or
   * impaired, or its region's API is unreachable): required before promoting across regions.
   */
  cloudEvidence: boolean;
  reason: string;
}

/** What a standby says about itself when the failover looks at it. LSNs are byte positions. */
export interface StandbyFacts {
  node: string;
  region: string;
  role: 'primary' | 'sync-standby' | 'async-standby';
  reachable: boolean;
  reason?: string;
  inRecovery: boolean;
  /** WAL received and flushed (pg_last_wal_receive_lsn). */
  receiveLsn: number | null;
  replayLsn: number | null;
  /** The sender's WAL end as last reported to this standby (pg_stat_wal_receiver.latest_end_lsn). */
  senderEndLsn: number | null;
  receiverStreaming: boolean;
  /** Whether it follows the failed writer on its timeline (absent: not checked). */
  follows?: boolean;
  /** Why it follows or not, from the topology decision. */
  followReason?: string;
  timeline?: number | null;
}

/** Writer positions published by the monitor (WriterWalPosition), oldest first. */
export interface PositionSample {
  at: number;
  lsn: number;
}

export interface LagEstimate {
  bytes: number;
  /** Null when the position history cannot say how old the missing WAL is. */
  seconds: number | null;
  /** The best known writer position the estimate is measured against. */
  referenceLsn: number;
  basis: string;
  /**
   * Including the writes nobody observed: the writer's last published rate carried on until the
   * first sample that found it gone. Null when there is no such sample or no rate.
   */
  upperBoundBytes: number | null;
  upperBoundSeconds: number | null;
  /**
   * The writer's last published rate and until when the bound carries it (the first sample that
   * found it gone, else its last published position): the receipt carries it on to the moment the
   * fence saw the instance stopped. Absent without two published positions.
   */
  writerRate?: { bytesPerSecond: number; carriedUntil: number } | null;
}

export type CandidateVerdict =
  | {
      promote: true;
      node: string;
      alreadyPrimary: boolean;
      lag: LagEstimate;
      /** Whether the candidate holds every commit the failed writer acknowledged (the recorded synchronous standby), and why. */
      acknowledged?: { zeroLoss: boolean; detail: string };
      reasons: string[];
    }
  | { promote: false; reason: string; reasons: string[] };

export interface PolicyView {
  maxLagBytes: number;
  maxLagSeconds: number;
  requiredSignals: number;
  rechecks: number;
}

/** What one standby's WAL receiver says about the primary, as the standbys signal weighs it. */
export interface ReceiverView {
  node: string;
  /** In the primary's region (a partition between regions cuts the others for their own reason). */
  sameRegion: boolean;
  /** The control plane reached it; a standby it cannot reach is no evidence either way. */
  reachable: boolean;
  /** Seconds since the receiver last heard from its sender (null: no receiver running). */
  lastMessageAgeSeconds: number | null;
  detail?: string;
}
