import { failoverTarget } from '../../shared/actions/topology';
import { cloudWatchClient } from '../../shared/aws/clients/cloudwatch';
import { readAlarmState } from '../../shared/aws/alarm-state';
import { clusterContext } from '../../shared/config/cluster-context';
import { judgeOutage, watchOutage } from '../../shared/decisions/confirm-outage';
import { judgeStartingUp } from '../../shared/decisions/starting-up';
import { answerOf, type OutageVerdict } from '../../shared/decisions/types';
import { gatherSignals, metricsSignal } from '../../shared/actions/signals';
import { checkWriterLease } from '../../shared/actions/writer-lease-gate';
import { gateOutage } from '../../shared/decisions/writer-lease';
import { crossRegionCheck } from '../../shared/actions/witness';
import { executionInputSchema, type FailoverState, type OutageResult } from '../../shared/workflow/state';
import { timed } from '../../shared/time';
import { lambda } from '../../shared/lambda';
import { log } from '../../shared/log';

const MAX_CHECKS_KEPT = 60;

/**
 * Confirms the outage of the current writer — found from the cluster record and the nodes, not the
 * configured roles — from independent signals (EC2, a database probe, the standbys' receivers,
 * metric staleness). Each run is one check; the state machine waits and calls it again to re-check,
 * and keeps re-checking an unconfirmed outage while the failover alarm stays in ALARM, up to the
 * deadline (then a person must decide). When the record and the nodes contradict each other,
 * nothing is confirmed and the receipt says why. Every check is kept for the receipt.
 */
export const confirmOutage = (state: FailoverState): Promise<OutageResult> =>
  timed(async () => {
    const context = clusterContext(state.cluster);
    const { policy } = context.cluster;
    const now = new Date();
    const previous = state.outage;
    const firstCheckAt = previous?.firstCheckAt ?? now.toISOString();
    const attempt = (previous?.attempt ?? 0) + 1;
    // The metrics signal is about the cluster, not a node: it runs while the writer is found.
    const metrics = metricsSignal(context);
    const target = await failoverTarget(context, { reuseSessions: true });
    const generation = target.topology.record.generation;
    let verdict: OutageVerdict;
    let writer: string;
    let writerLease: OutageResult['writerLease'];
    let startingUpSince: string | null = null;
    if (!target.known) {
      log.warn('outage not judged: contradictory topology', { cluster: state.cluster, execution: state.executionName, reason: target.reason });
      verdict = { decision: 'not-confirmed', attempt, signals: [], regionHealthy: true, cloudEvidence: false, reason: target.reason };
      writer = target.topology.record.writer;
    } else {
      // A writer answering only "cannot connect now" is alive for a grace measured across the re-checks.
      const gathered = await gatherSignals(context, target.failed, metrics);
      const startingUp = judgeStartingUp(gathered, { since: previous?.startingUpSince ?? null, now: now.getTime(), graceSeconds: policy.startingUpGraceSeconds });
      const { signals } = startingUp;
      startingUpSince = startingUp.startingUpSince;
      const streak = (previous?.decision === 'recheck' ? (previous.streak ?? previous.attempt) : 0) + 1;
      const judged = judgeOutage(signals, attempt, policy, streak);
      verdict = { ...judged, reason: [judged.reason, ...target.notes].join('; ') };
      writer = target.failed.name;
      // The writer lease: never promote past a writer that still renews it (issue 21).
      const lease = await checkWriterLease(context, target.failed, previous?.writerLease?.observation ?? null, {
        now,
        execution: state.executionName,
        revokeIfExpired: verdict.decision === 'confirmed',
      });
      verdict = gateOutage(verdict, lease.gate);
      writerLease = { lease: lease.judgement.lease, detail: lease.judgement.detail, gate: lease.gate.reason, observation: lease.judgement.observation };
    }
    let alarmState: string | null = null;
    if (verdict.decision === 'not-confirmed' && state.mode === 'automatic') {
      alarmState = await readAlarmState(cloudWatchClient(context.config.controlRegion), state.incident.alarmName).catch((error: Error) => {
        log.warn('failover alarm state unreadable', { cluster: state.cluster, alarm: state.incident.alarmName, error });
        return null;
      });
      const elapsedSeconds = (now.getTime() - new Date(firstCheckAt).getTime()) / 1000;
      verdict = watchOutage(verdict, { alarmState, elapsedSeconds, deadlineSeconds: policy.recheckDeadlineSeconds });
    }
    // Only a confirmed outage can lead to a promotion: the witness is asked then, and its verdict
    // gates a promotion into another region (select-candidate reads it); an expired writer lease
    // allows it too (the writer stopped itself).
    const crossRegion = verdict.decision === 'confirmed' && target.known ? await crossRegionCheck(context, target.failed, writerLease?.lease ?? 'unknown') : undefined;
    if (crossRegion) log.info('witness verdict', { cluster: state.cluster, execution: state.executionName, witness: crossRegion.witness.verdict, allowed: crossRegion.crossRegion.allowed, reason: crossRegion.crossRegion.reason });
    const check = {
      at: now.toISOString(),
      decision: verdict.decision,
      signals: verdict.signals.map((s) => `${s.name}: ${answerOf(s)} (${s.cause})`),
      alarmState,
      ...(writerLease ? { writerLease: writerLease.lease } : {}),
    };
    const checks = [...(previous?.checks ?? []), check].slice(-MAX_CHECKS_KEPT);
    log.info('outage check', { cluster: state.cluster, execution: state.executionName, writer, decision: verdict.decision, writerLease: writerLease?.lease, reason: verdict.reason });
    return { ...verdict, primary: writer, generation, firstCheckAt, checks, startingUpSince, ...crossRegion, ...(writerLease ? { writerLease } : {}) };
  });

export const handler = lambda('confirmOutage', confirmOutage, { input: executionInputSchema });
