import type { Client } from 'pg';
import type { NodeConfig } from '../config/schema';
import type { ClusterContext } from '../config/cluster-context';
import { nodeNamed } from '../config/cluster-context';
import { leaseStore } from '../workflow/environment';
import { failoverConnection } from '../actions/failover-connection';
import { formatBytes } from '../decisions/lag';
import { promoteNode } from '../actions/promote';
import { repointRecord, rewriteDatabaseUrls, type RepointWriter } from '../actions/repoint';
import { log } from '../log';
import { closeQuietly } from '../postgres/connect';
import { endClientSessions, replayPosition, setReadOnly, standbyOnWriter, writerPosition } from '../postgres/switchover-sql';
import { sleep } from '../time';
import { observeTopology, readRecord } from '../actions/topology';
import { storePromotion, writerTimeline } from '../actions/record-promotion';
import { cascadeFromTarget, repointFollowers } from '../actions/repoint-followers';
import type { FollowerReport } from '../decisions/followers';

export interface SwitchoverRequest {
  cluster: string;
  to: string;
  /** Longest wait for the target to replay the primary's final WAL. @default 30 */
  catchUpTimeoutSeconds: number;
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
  /** What to run to bring the old primary back as a standby of the new one. */
  rejoin: string[];
  /** The other standbys, re-pointed to the new writer (or why not), and its synchronous standbys. */
  followers: Array<Pick<FollowerReport, 'node' | 'outcome' | 'repointed' | 'detail'>>;
  synchronousStandbyNames: string | null;
  /** The new writer's timeline and the cluster record's generation naming it. */
  timeline: number | null;
  generation: number | null;
}

export const rejoinSteps = (old: NodeConfig, primary: NodeConfig): string[] => [
  `On ${old.name}: stop PostgreSQL (pg_ctl stop -m fast); it is read-only now and must not take writes again as a primary.`,
  `On ${primary.name}: run CHECKPOINT, so that pg_rewind sees the new timeline.`,
  `On ${old.name}: pg_rewind --target-pgdata=$PGDATA --source-server='host=${primary.host} port=${primary.port} dbname=postgres user=<superuser>' --write-recovery-conf (needs wal_log_hints=on or data checksums; otherwise take a fresh base backup: pg_basebackup -h ${primary.host} -p ${primary.port} -D $PGDATA -R -X stream)`,
  `On ${old.name}: ALTER SYSTEM RESET default_transaction_read_only (or remove it from postgresql.auto.conf), set primary_conninfo application_name=${old.name} and primary_slot_name, then start it.`,
  `Check on ${primary.name}: SELECT state FROM pg_stat_replication WHERE application_name = '${old.name}' returns 'streaming' (the cluster record follows what is observed: no configuration change is needed).`,
];

/**
 * Waits until the target has replayed everything the read-only primary wrote, checking that the
 * primary's position stays put. Returns the final position, or null on timeout.
 */
const waitForCatchUp = async (primary: Client, target: Client, timeoutMs: number): Promise<{ finalLsn: number | null; behind: number }> => {
  const deadline = Date.now() + timeoutMs;
  let behind = Number.POSITIVE_INFINITY;
  let previous = -1;
  while (Date.now() < deadline) {
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
 * abort), promote, repoint, and leave the old primary read-only with the steps to rejoin it.
 * Shares the failover lease: it refuses while a failover runs, and a failover refuses meanwhile.
 */
export const switchover = async (context: ClusterContext, request: SwitchoverRequest): Promise<SwitchoverReceipt> => {
  const startedAt = new Date().toISOString();
  const receipt = await switchoverSteps(context, request);
  const holder = `switchover-${Date.parse(startedAt)}`;
  await leaseStore(context.config)
    .recordReceipt(context.cluster.name, holder, startedAt, { kind: 'switchover', startedAt, finishedAt: new Date().toISOString(), ...receipt })
    .catch((error) => log.error('switchover receipt not stored', { cluster: context.cluster.name, error }));
  return receipt;
};

const switchoverSteps = async (context: ClusterContext, request: SwitchoverRequest): Promise<SwitchoverReceipt> => {
  const { cluster, config } = context;
  const target = nodeNamed(cluster, request.to);
  const steps: SwitchoverReceipt['steps'] = [];
  const reasons: string[] = [];
  const base = {
    cluster: cluster.name,
    to: target.name,
    dns: null,
    databaseUrl: [],
    rejoin: [],
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
    const primary = await failoverConnection(context, from, { queryTimeoutMs: 10000 });
    const standby = await failoverConnection(context, target, { queryTimeoutMs: 10000 }).catch(async (error) => {
      await closeQuietly(primary);
      throw error;
    });
    try {
      const view = await standbyOnWriter(primary, target.name);
      const refusal =
        !view || view.state !== 'streaming'
          ? `${target.name} is not streaming from ${from.name} (${view?.state ?? 'no replication connection'})`
          : (view.replayLagBytes ?? 0) > cluster.policy.maxLagBytes
            ? `${target.name} is ${formatBytes(view.replayLagBytes ?? 0)} behind (cap ${formatBytes(cluster.policy.maxLagBytes)})`
            : null;
      if (refusal) return { ...base, outcome: 'refused', from: from.name, steps, reasons: [refusal] };
      reasons.push(`${target.name} streams from ${from.name} (${view!.syncState}), ${formatBytes(view!.replayLagBytes ?? 0)} to replay`);

      const stoppedAt = Date.now();
      const ended = await step('stop-writes', async () => {
        await setReadOnly(primary, true);
        return endClientSessions(primary);
      });
      reasons.push(`writes stopped on ${from.name}: read-only, ${ended} client session(s) ended`);
      const caughtUp = await step('catch-up', () => waitForCatchUp(primary, standby, request.catchUpTimeoutSeconds * 1000));
      if (caughtUp.finalLsn === null) {
        await step('restore-writes', () => setReadOnly(primary, false));
        return {
          ...base,
          outcome: 'aborted',
          from: from.name,
          steps,
          reasons: [...reasons, `${target.name} did not replay ${from.name}'s final WAL within ${request.catchUpTimeoutSeconds} s (${formatBytes(caughtUp.behind)} behind): ${from.name} is writable again`],
        };
      }
      reasons.push(`${target.name} replayed ${from.name}'s final position`);
      const others = nodes
        .filter((n) => n.reachable && n.inRecovery === true && n.node !== target.name && n.node !== from.name)
        .map((n) => nodeNamed(cluster, n.node));
      if (others.length > 0) {
        const deadline = Date.now() + cluster.policy.followTimeoutSeconds * 1000;
        const cascaded = await step('cascade', () => cascadeFromTarget(context, target, others, deadline));
        reasons.push(...cascaded.map((c) => (c.streaming ? `before the promotion, ${c.detail}` : `${c.detail}: it may have to be rejoined`)));
      }
      return await finish(context, target, from, reasons, steps, { ...base, finalLsn: caughtUp.finalLsn }, stoppedAt, writer);
    } finally {
      await Promise.all([closeQuietly(primary), closeQuietly(standby)]);
    }
  } finally {
    await release().catch((error) => log.error('switchover lease release failed', { cluster: cluster.name, error }));
  }
};

const finish = async (
  context: ClusterContext,
  target: NodeConfig,
  from: NodeConfig | null,
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
  const promotion = await timed('promote', () => promoteNode(context, target));
  const writeUnavailableMs = stoppedAt === null ? null : Date.now() - stoppedAt;
  reasons.push(promotion.alreadyPrimary ? `${target.name} was already primary` : `${target.name} promoted in ${promotion.promoteMs} ms`);
  const execution = `switchover-${context.cluster.name}-${Date.now()}`;
  const timeline = await writerTimeline(context, target);
  const record = await timed('record', async () =>
    storePromotion(context, await readRecord(context), { writer: target.name, timeline, previousWriter: from?.name ?? null, fence: null, execution, kind: 'switchover' }),
  );
  // Applications that follow DATABASE_URL do not wait for DNS propagation; both finish (or fail)
  // before the lease is released, so no write of this switchover lands after the next writer's.
  const [urlsDone, dnsDone] = await Promise.allSettled([
    timed('database-url', () => rewriteDatabaseUrls(context.cluster, target)),
    timed('dns', () => repointRecord(context.cluster, target, writer)),
  ]);
  if (urlsDone.status === 'rejected') throw urlsDone.reason;
  if (dnsDone.status === 'rejected') throw dnsDone.reason;
  const [urls, dns] = [urlsDone.value, dnsDone.value];
  // Then the other standbys follow the new writer (after the applications moved: they never wait for it).
  const followers = await timed('followers', () =>
    repointFollowers(context, target, {
      excluded: new Map(from ? [[from.name, 'the former primary (read-only)']] : []),
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
    rejoin: from ? rejoinSteps(from, target) : [],
  };
};
