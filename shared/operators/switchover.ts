import type { Client } from 'pg';
import type { CommandRunner } from '../aws/run-command';
import { eventBridgeClient } from '../aws/clients/eventbridge';
import { DETAIL_TYPES, publishEvent, writerEventEntry, type EventEntry } from '../aws/events';
import type { NodeConfig } from '../config/schema';
import type { ClusterContext } from '../config/cluster-context';
import { nodeNamed } from '../config/cluster-context';
import { eventBusName, leaseStore } from '../workflow/environment';
import { failoverConnection } from '../actions/failover-connection';
import { formatBytes } from '../units';
import { switchoverReadiness } from '../decisions/failback';
import { promoteNode } from '../actions/promote';
import { repointRecord, rewriteDatabaseUrls, type RepointWriter } from '../actions/repoint';
import { log } from '../log';
import { closeQuietly } from '../postgres/connect';
import { endClientSessions, replayPosition, setReadOnly, writerPosition } from '../postgres/switchover-sql';
import { sleep } from '../time';
import { observeTopology, readRecord } from '../actions/topology';
import { storePromotion, writerTimeline } from '../actions/record-promotion';
import { cascadeFromTarget, repointFollowers } from '../actions/repoint-followers';
import type { FollowerReport } from '../decisions/followers';
import type { OldPrimaryReport } from '../decisions/old-primary';
import { reloadConfiguration, setSynchronousStandbyNames } from '../postgres/follow-sql';
import { bringBackOldPrimary } from './old-primary';
import { holdLease } from '../workflow/lease-guard';
import { LeaseLostError } from '../errors';

export interface SwitchoverRequest {
  cluster: string;
  to: string;
  /** Longest wait for the target to replay the primary's final WAL. @default 30 */
  catchUpTimeoutSeconds: number;
  /** Leave the old primary aside, read-only, instead of rejoining it as a standby of the new writer. @default false */
  noRejoin: boolean;
}

export interface SwitchoverReceipt {
  cluster: string;
  outcome: 'switched' | 'refused' | 'aborted';
  from: string | null;
  to: string;
  reasons: string[];
  /** Time writes were refused: from stopping writes to the new primary's first write. */
  writeUnavailableMs: number | null;
  finalLsn: number | null;
  steps: Array<{ step: string; ms: number }>;
  dns: { record: string; target: string } | null;
  databaseUrl: Array<{ region: string; name: string; host: string; port: number }>;
  /** What became of the old primary: rejoined as a standby of the new writer, left aside, or why its rejoin failed (null: no old primary was switched from). */
  oldPrimary: OldPrimaryReport | null;
  /** The "writer changed" event that could not be published (empty: published, or nothing moved). */
  notificationErrors: string[];
  /** The other standbys, re-pointed to the new writer (or why not), and its synchronous standbys. */
  followers: Array<Pick<FollowerReport, 'node' | 'outcome' | 'repointed' | 'detail'>>;
  synchronousStandbyNames: string | null;
  /** The new writer's timeline and the cluster record's generation naming it. */
  timeline: number | null;
  generation: number | null;
}

/**
 * Waits until the target has replayed everything the read-only primary wrote, checking that the
 * primary's position stays put. Any session can `SET default_transaction_read_only = off` for
 * itself, so the write stop is kept up here: every client session that connected since is ended
 * before each look, and a write that slipped in moves the position, which restarts the wait.
 * Returns the final position, or null on timeout.
 */
const waitForCatchUp = async (primary: Client, target: Client, timeoutMs: number): Promise<{ finalLsn: number | null; behind: number }> => {
  const deadline = Date.now() + timeoutMs;
  let behind = Number.POSITIVE_INFINITY;
  let previous = -1;
  while (Date.now() < deadline) {
    await endClientSessions(primary);
    const position = await writerPosition(primary);
    const replayed = (await replayPosition(target)) ?? 0;
    behind = Math.max(0, position - replayed);
    if (behind === 0 && position === previous) return { finalLsn: position, behind: 0 };
    previous = position;
    await sleep(50);
  }
  return { finalLsn: null, behind };
};

/**
 * Planned switchover with zero data loss: check the target, stop writes on the primary, wait until
 * the target replayed the primary's final position (else make the primary writable again and
 * abort), promote, empty the old primary's synchronous_standby_names, repoint, publish the "writer
 * changed" event, then rejoin the old primary as a standby of the new writer (unless `noRejoin`:
 * then it stays read-only). Shares the failover lease: it refuses while a failover runs, and a
 * failover refuses meanwhile; the rejoin takes the lease again once the switchover released it.
 */
export const switchover = async (context: ClusterContext, request: SwitchoverRequest, deadlineAt: number, runCommand: CommandRunner): Promise<SwitchoverReceipt> => {
  const startedAt = new Date().toISOString();
  const switched = await switchoverSteps(context, request, deadlineAt);
  const receipt = switched.outcome === 'switched' ? await afterSwitch(context, switched, request, deadlineAt, runCommand) : switched;
  const holder = `switchover-${Date.parse(startedAt)}`;
  await leaseStore(context.config)
    .recordReceipt(context.cluster.name, holder, startedAt, { kind: 'switchover', startedAt, finishedAt: new Date().toISOString(), ...receipt })
    .catch((error) => log.error('switchover receipt not stored', { cluster: context.cluster.name, error }));
  return receipt;
};

/** The writer moved: applications are told (the event), then the old primary follows the new writer. */
const afterSwitch = async (
  context: ClusterContext,
  receipt: SwitchoverReceipt,
  request: SwitchoverRequest,
  deadlineAt: number,
  runCommand: CommandRunner,
): Promise<SwitchoverReceipt> => {
  const notificationErrors = await publishWriterChanged(context, receipt);
  if (receipt.from === null) return { ...receipt, notificationErrors };
  const started = Date.now();
  const oldPrimary = await bringBackOldPrimary(context, receipt.from, { noRejoin: request.noRejoin, runCommand, deadlineAt });
  const steps = request.noRejoin ? receipt.steps : [...receipt.steps, { step: 'rejoin', ms: Date.now() - started }];
  return { ...receipt, steps, oldPrimary, notificationErrors };
};

/** A switchover that moved the writer, as the event a failover that promoted sends. */
export const switchoverEvent = (receipt: SwitchoverReceipt, busName: string): EventEntry =>
  writerEventEntry(
    DETAIL_TYPES.promoted,
    { kind: 'switchover', cluster: receipt.cluster, promoted: receipt.to, previousPrimary: receipt.from, databaseUrl: receipt.databaseUrl },
    receipt,
    busName,
  );

/**
 * The event a failover that promoted publishes (source pgfo, PostgreSQL Writer Changed), so that
 * what restarts on a failover restarts on a switchover too. Best effort: a failure is named in the
 * receipt, it does not undo the switchover.
 */
const publishWriterChanged = async (context: ClusterContext, receipt: SwitchoverReceipt): Promise<string[]> => {
  try {
    await publishEvent(eventBridgeClient(context.config.controlRegion), switchoverEvent(receipt, eventBusName()));
    return [];
  } catch (error) {
    log.error('switchover event not published', { cluster: receipt.cluster, error });
    return [`event: ${(error as Error).name}: ${(error as Error).message}`];
  }
};

/** Before the function's deadline, writes are restored if the promotion has not been requested yet. */
const RESTORE_BEFORE_DEADLINE_MS = 15_000;
/** Kept after the catch-up for the calls around promotion and repoint. */
const AFTER_CATCH_UP_OVERHEAD_MS = 20_000;

/**
 * How long the catch-up may wait: the request's timeout, capped so that the other standbys'
 * cascade, promotion (its own timeout), the DNS wait and the restore guard still fit before the
 * function's deadline.
 */
export const catchUpBudgetMs = (
  requestedSeconds: number,
  deadlineAt: number,
  now: number,
  policy: { promoteTimeoutSeconds: number; dnsSyncTimeoutSeconds: number; followTimeoutSeconds: number },
): number =>
  Math.min(
    requestedSeconds * 1000,
    deadlineAt - now - RESTORE_BEFORE_DEADLINE_MS - AFTER_CATCH_UP_OVERHEAD_MS - (policy.followTimeoutSeconds + policy.promoteTimeoutSeconds + policy.dnsSyncTimeoutSeconds) * 1000,
  );

const switchoverSteps = async (context: ClusterContext, request: SwitchoverRequest, deadlineAt: number): Promise<SwitchoverReceipt> => {
  const { cluster, config } = context;
  const target = nodeNamed(cluster, request.to);
  const steps: SwitchoverReceipt['steps'] = [];
  const reasons: string[] = [];
  const base = {
    cluster: cluster.name,
    to: target.name,
    dns: null,
    databaseUrl: [],
    oldPrimary: null,
    notificationErrors: [],
    finalLsn: null,
    writeUnavailableMs: null,
    followers: [],
    synchronousStandbyNames: null,
    timeline: null,
    generation: null,
  };
  const step = async <T>(name: string, work: () => Promise<T>): Promise<T> => {
    const started = Date.now();
    try {
      return await work();
    } finally {
      steps.push({ step: name, ms: Date.now() - started });
    }
  };
  const holder = `switchover-${cluster.name}-${Date.now()}`;
  const lease = await step('lease', () =>
    leaseStore(config).acquire(cluster.name, holder, 'switchover', cluster.policy.leaseSeconds, Date.now(), { ignoreCooldown: true }),
  );
  if (!lease.acquired) return { ...base, outcome: 'refused', from: null, reasons: [lease.reason], steps };
  const writer: RepointWriter = { store: leaseStore(config), holder, generation: lease.lease.acquiredAt };
  let released = false;
  const release = async () => {
    if (!released) released = await leaseStore(config).release(cluster.name, holder, 0);
  };
  try {
    const { verdict, nodes } = await step('observe', () => observeTopology(context));
    if (!verdict.known) return { ...base, outcome: 'refused', from: null, steps, reasons: [verdict.reason] };
    if (verdict.observed && verdict.writer === target.name) {
      // A previous switchover promoted the target but did not finish: converge on it.
      reasons.push(`${target.name} is already the writer: finishing the repoint`);
      return await finish(context, target, null, reasons, steps, base, null, writer);
    }
    if (!verdict.observed) {
      return { ...base, outcome: 'refused', from: null, steps, reasons: [`no node answers as the writer (the record names ${verdict.writer}): a switchover needs a live writer`] };
    }
    const from = nodeNamed(cluster, verdict.writer);
    const targetSeen = nodes.find((n) => n.node === target.name);
    if (!targetSeen?.reachable || targetSeen.inRecovery !== true) {
      return { ...base, outcome: 'refused', from: from.name, steps, reasons: [`${target.name} is not a reachable standby (${targetSeen?.reason ?? 'not in recovery'})`] };
    }
    // The one definition of "ready to take over" (plan --to shows the same): streaming from the
    // writer, on its timeline, within maxLagBytes, as the nodes were just observed.
    const writerSeen = nodes.find((n) => n.node === from.name);
    const readiness = writerSeen
      ? switchoverReadiness(writerSeen, targetSeen, cluster.policy.maxLagBytes)
      : { ready: false, reason: `${from.name} was not observed: ${target.name}'s readiness cannot be proven` };
    if (!readiness.ready) return { ...base, outcome: 'refused', from: from.name, steps, reasons: [readiness.reason] };
    reasons.push(readiness.reason);
    const primary = await failoverConnection(context, from, { queryTimeoutMs: 10000 });
    const standby = await failoverConnection(context, target, { queryTimeoutMs: 10000 }).catch(async (error) => {
      await closeQuietly(primary);
      throw error;
    });
    try {

      const budgetMs = catchUpBudgetMs(request.catchUpTimeoutSeconds, deadlineAt, Date.now(), cluster.policy);
      if (budgetMs < 1000) {
        return { ...base, outcome: 'refused', from: from.name, steps, reasons: [...reasons, `not enough time left in this invocation to wait for ${target.name} to catch up: nothing changed`] };
      }
      if (budgetMs < request.catchUpTimeoutSeconds * 1000) {
        reasons.push(`catch-up timeout capped to ${Math.floor(budgetMs / 1000)} s by the function's own timeout (asked ${request.catchUpTimeoutSeconds} s)`);
      }
      // Restores or fences: until pg_promote is requested, any failure (and the function's
      // approaching timeout) makes the old primary writable again; once it is requested, the old
      // primary stays read-only whatever happens, since the target may yet complete its promotion.
      let promoteRequested = false;
      let restored = false;
      const restoreWrites = async (why: string): Promise<void> => {
        if (restored || promoteRequested) return;
        restored = true;
        const fresh = await failoverConnection(context, from, { queryTimeoutMs: 10000 });
        try {
          await setReadOnly(fresh, false);
        } finally {
          await closeQuietly(fresh);
        }
        reasons.push(`${from.name} is writable again (${why})`);
      };
      const guard = setTimeout(
        () => void restoreWrites('the function was about to time out').catch((error) => log.error('restoring writes failed', { cluster: cluster.name, error })),
        Math.max(0, deadlineAt - Date.now() - RESTORE_BEFORE_DEADLINE_MS),
      );
      try {
        await holdLease(config, cluster, holder, 'switchover stop-writes');
        const stoppedAt = Date.now();
        const stop = await step('stop-writes', async () => {
          await setReadOnly(primary, true);
          return endClientSessions(primary);
        });
        reasons.push(`writes stopped on ${from.name}: read-only, ${stop.ended} client session(s) ended`);
        if (stop.superuserSessionsLeft > 0) {
          await step('restore-writes', () => restoreWrites('superuser sessions could not be ended'));
          return {
            ...base,
            outcome: 'aborted',
            from: from.name,
            steps,
            reasons: [...reasons, `${stop.superuserSessionsLeft} superuser session(s) on ${from.name} could not be ended by ${cluster.credentials.failover.user} (a superuser can turn read-only off again): zero loss cannot be guaranteed, aborted`],
          };
        }
        const caughtUp = await step('catch-up', () => waitForCatchUp(primary, standby, budgetMs));
        if (caughtUp.finalLsn === null) {
          await step('restore-writes', () => restoreWrites('catch-up timed out'));
          return {
            ...base,
            outcome: 'aborted',
            from: from.name,
            steps,
            reasons: [...reasons, `${target.name} did not replay ${from.name}'s final WAL within ${Math.round(budgetMs / 1000)} s (${formatBytes(caughtUp.behind)} behind): ${from.name} is writable again`],
          };
        }
        reasons.push(`${target.name} replayed ${from.name}'s final position`);
        const others = nodes
          .filter((n) => n.reachable && n.inRecovery === true && n.node !== target.name && n.node !== from.name)
          .map((n) => nodeNamed(cluster, n.node));
        if (others.length > 0) {
          await holdLease(config, cluster, holder, 'switchover cascade');
          const cascadeDeadline = Date.now() + cluster.policy.followTimeoutSeconds * 1000;
          const cascaded = await step('cascade', () => cascadeFromTarget(context, target, others, cascadeDeadline));
          reasons.push(...cascaded.map((c) => (c.streaming ? `before the promotion, ${c.detail}` : `${c.detail}: it may have to be rejoined`)));
        }
        if (restored) return { ...base, outcome: 'aborted', from: from.name, steps, reasons: [...reasons, 'aborted: writes were restored before the promotion'] };
        promoteRequested = true;
        return await finish(context, target, { node: from, client: primary }, reasons, steps, { ...base, finalLsn: caughtUp.finalLsn }, stoppedAt, writer);
      } catch (error) {
        if (promoteRequested) {
          log.error('switchover failed after promotion was requested: the old primary stays read-only (fenced)', { cluster: cluster.name, from: from.name, error });
        } else if (error instanceof LeaseLostError) {
          // Whoever holds the lease now (a failover) may be promoting another node: making the old
          // primary writable again could give the cluster two writers. It stays read-only.
          log.error('switchover lost its lease: the old primary stays read-only', { cluster: cluster.name, from: from.name, error });
        } else {
          await restoreWrites(`the switchover failed: ${(error as Error).message}`).catch((restoreError) =>
            log.error('restoring writes failed', { cluster: cluster.name, error: restoreError }),
          );
        }
        throw error;
      } finally {
        clearTimeout(guard);
      }
    } finally {
      await Promise.all([closeQuietly(primary), closeQuietly(standby)]);
    }
  } finally {
    await release().catch((error) => log.error('switchover lease release failed', { cluster: cluster.name, error }));
  }
};

/**
 * The old primary, read-only now, stops naming synchronous standbys: they follow the new writer, and
 * a node that names standbys it no longer has would hang every commit if it were made writable
 * again. Over the session the switchover already holds; a failure is reported, not fatal.
 */
const emptySynchronousStandbys = async (old: { node: NodeConfig; client: Client }): Promise<string> => {
  try {
    await setSynchronousStandbyNames(old.client, '');
    await reloadConfiguration(old.client);
    return `${old.node.name}'s synchronous_standby_names emptied: it names no standby`;
  } catch (error) {
    return `${old.node.name}'s synchronous_standby_names could not be emptied: ${(error as Error).message}`;
  }
};

const finish = async (
  context: ClusterContext,
  target: NodeConfig,
  old: { node: NodeConfig; client: Client } | null,
  reasons: string[],
  steps: SwitchoverReceipt['steps'],
  base: Omit<SwitchoverReceipt, 'outcome' | 'from' | 'reasons' | 'steps'>,
  stoppedAt: number | null,
  writer: RepointWriter,
): Promise<SwitchoverReceipt> => {
  const timed = async <T>(name: string, work: () => Promise<T>) => {
    const started = Date.now();
    try {
      return await work();
    } finally {
      steps.push({ step: name, ms: Date.now() - started });
    }
  };
  // Each step that changes the world first proves the lease is still this switchover's (and extends it).
  const hold = (name: string) => holdLease(context.config, context.cluster, writer.holder, `switchover ${name}`);
  await hold('promote');
  const promotion = await timed('promote', () => promoteNode(context, target));
  const writeUnavailableMs = stoppedAt === null ? null : Date.now() - stoppedAt;
  reasons.push(promotion.alreadyPrimary ? `${target.name} was already primary` : `${target.name} promoted in ${promotion.promoteMs} ms`);
  const from = old?.node ?? null;
  // synchronousMode off: the control plane never touches synchronous_standby_names.
  if (old && context.cluster.policy.synchronousMode !== 'off') reasons.push(await timed('old-primary-sync', () => emptySynchronousStandbys(old)));
  const execution = `switchover-${context.cluster.name}-${Date.now()}`;
  const timeline = await writerTimeline(context, target);
  await hold('record');
  const record = await timed('record', async () =>
    storePromotion(context, await readRecord(context), { writer: target.name, timeline, previousWriter: from?.name ?? null, fence: null, execution, kind: 'switchover' }),
  );
  // Applications that follow DATABASE_URL do not wait for DNS propagation; both finish (or fail)
  // before the lease is released, so no write of this switchover lands after the next writer's.
  await hold('repoint');
  const [urlsDone, dnsDone] = await Promise.allSettled([
    timed('database-url', () => rewriteDatabaseUrls(context.cluster, target)),
    timed('dns', () => repointRecord(context.cluster, target, writer)),
  ]);
  if (urlsDone.status === 'rejected') throw urlsDone.reason;
  if (dnsDone.status === 'rejected') throw dnsDone.reason;
  const [urls, dns] = [urlsDone.value, dnsDone.value];
  // Then the other standbys follow the new writer (after the applications moved: they never wait for it).
  await hold('followers');
  const followers = await timed('followers', () =>
    repointFollowers(context, target, {
      excluded: new Map(from ? [[from.name, 'the former primary (read-only): a rejoin, not a repoint, makes it follow']] : []),
      forkLsn: promotion.lsn,
      by: execution,
    }),
  );
  reasons.push(...followers.followers.map((f) => f.detail));
  return {
    ...base,
    followers: followers.followers.map(({ node, outcome, repointed, detail }) => ({ node, outcome, repointed, detail })),
    synchronousStandbyNames: followers.synchronousStandbyNames,
    timeline,
    generation: followers.generation ?? record.generation,
    outcome: 'switched',
    from: from?.name ?? null,
    reasons,
    steps,
    writeUnavailableMs,
    dns: { record: dns.record, target: dns.target },
    databaseUrl: urls.parameters.map(({ region, name, host, port }) => ({ region, name, host, port })),
  };
};
