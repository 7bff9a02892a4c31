import type { Receipt } from '../shared/decisions/receipt';
import type { FailoverPlan } from '../shared/operators/plan';
import type { ClusterStatus, StatusResult } from '../shared/operators/status';
import type { SwitchoverReceipt } from '../shared/operators/switchover';
import type { RejoinReceipt } from '../shared/operators/rejoin';
import type { HistoryEntry } from '../shared/operators/history';
import type { ResolveResult } from '../shared/operators/resolve';
import { PGFO_VERSION } from '../shared/version';
import { bytes, duration, renderTable } from './table';

const yesNo = (value: boolean | null | undefined) => (value === null || value === undefined ? '-' : value ? 'yes' : 'no');

/** What a status function answers; a deployment from before releases were reported sends no version. */
export type StatusAnswer = Pick<StatusResult, 'clusters'> & { version?: unknown };

/** The release at each end: this CLI's, and the deployment's (null when it reports none). */
export const versions = (answer: StatusAnswer): { cli: string; deployment: string | null } => ({
  cli: PGFO_VERSION,
  deployment: typeof answer.version === 'string' ? answer.version : null,
});

/** `pgfo status --json`: both ends' releases, then every cluster. */
export const statusReport = (answer: StatusAnswer) => ({ versions: versions(answer), clusters: answer.clusters });

const formatVersions = ({ cli, deployment }: ReturnType<typeof versions>): string =>
  deployment === null
    ? `pgfo ${cli} (this CLI); deployment: no version reported (its status function predates version reporting)`
    : `pgfo ${cli} (this CLI); deployment ${deployment}${deployment === cli ? '' : ' (they differ: docs/upgrade.md)'}`;

const formatCluster = (c: ClusterStatus): string => {
  const head = `cluster ${c.cluster}: writer ${c.writer ?? `NONE (${c.writers.length} writable)`}, ${c.consistent ? 'DNS and DATABASE_URL agree' : c.contradictions.length ? 'CONTRADICTORY STATE' : 'PUBLISHED ENDPOINTS DISAGREE'}`;
  const record = `record: generation ${c.record.generation}, writer ${c.record.writer} on timeline ${c.record.timeline ?? 'unknown'}; automatic failover ${c.paused ?? 'active'}`;
  // Older deployments answer without `arbiter` or `synchronous`.
  const arbiter = c.arbiter
    ? `arbiter: ${c.arbiter.arbiters.join(', ')} (writer's region ${c.arbiter.writerRegion}${c.arbiter.passive.length ? `; passive: ${c.arbiter.passive.join(', ')}` : ''}); answered by the stack in ${c.arbiter.answeredBy}`
    : null;
  const synchronous = c.synchronous === undefined ? null : `synchronous standby (recorded): ${c.synchronous === null ? 'none recorded for this writer' : `${c.synchronous.node ?? 'NONE'} since ${c.synchronous.since}`}`;
  const nodes = renderTable(
    ['NODE', 'CONFIGURED', 'ROLE', 'TIMELINE', 'UPSTREAM', 'FENCED', 'RECEIVER', 'STREAMING', 'SYNC', 'FLUSH LAG', 'REPLAY LAG', 'REPLAY LAG (TIME)'],
    c.nodes.map((n) => [
      n.name,
      n.configuredRole,
      n.role,
      n.timeline === null ? '-' : String(n.timeline),
      n.upstream ?? '-',
      n.fenced ? 'yes' : 'no',
      yesNo(n.receiverStreaming),
      yesNo(n.streamingToWriter),
      yesNo(n.synchronous),
      bytes(n.flushLagBytes),
      bytes(n.replayLagBytes),
      duration(n.replayLagSeconds === null ? null : n.replayLagSeconds * 1000),
    ]),
  );
  const published = renderTable(
    ['PUBLISHED', 'WHERE', 'POINTS AT', 'NODE', 'AGREES'],
    [
      ['DNS', c.dns.record, c.dns.target, c.dns.node, yesNo(c.dns.agrees)],
      ...c.databaseUrl.map((u) => ['DATABASE_URL', `${u.region} ${u.name}`, `${u.host}:${u.port}`, u.node, yesNo(u.agrees)]),
    ],
  );
  const unreachable = c.nodes.filter((n) => n.reason).map((n) => `  ${n.name}: ${n.reason}`);
  const contradictions = c.contradictions.map((x) => `  ${x}`);
  // Older deployments answer without `pending`.
  const pending = (c.pending ?? []).map((x) => `  ${x}`);
  return [
    head,
    record,
    ...(arbiter ? [arbiter] : []),
    ...(synchronous ? [synchronous] : []),
    nodes,
    published,
    ...(contradictions.length ? ['contradictions:', ...contradictions] : []),
    ...(pending.length ? ['pending (convergeDns repairs it):', ...pending] : []),
    ...(unreachable.length ? ['unreachable:', ...unreachable] : []),
  ].join('\n\n');
};

export const formatStatus = (answer: StatusAnswer): string =>
  [formatVersions(versions(answer)), ...answer.clusters.map(formatCluster)].join('\n\n');

export const formatPlan = (plan: FailoverPlan): string =>
  [
    `plan for ${plan.cluster}: ${plan.summary}`,
    renderTable(
      ['SIGNAL', 'SAYS', 'DETAIL'],
      plan.outage.signals.map((s) => [s.name, s.down === null ? 'unknown' : s.down ? 'down' : 'up', s.detail]),
    ),
    `outage: ${plan.outage.reason}`,
    'candidate:',
    ...plan.candidate.reasons.map((r) => `  - ${r}`),
    `fencing: ${plan.fencing.action}`,
    `DNS: ${plan.dns.record} -> ${plan.dns.current ?? '-'}${plan.dns.wouldBecome ? ` (would become ${plan.dns.wouldBecome})` : ''}`,
    ...plan.databaseUrl.map(
      (u) => `DATABASE_URL ${u.region} ${u.name}: ${u.currentHost}:${u.currentPort}${u.wouldBecome ? ` (would become ${u.wouldBecome})` : ''}`,
    ),
  ].join('\n');

/** A switchover's receipt; a deployment older than this CLI answers without `oldPrimary` and `notificationErrors`. */
export const formatSwitchover = (
  r: Omit<SwitchoverReceipt, 'oldPrimary' | 'notificationErrors'> & Partial<Pick<SwitchoverReceipt, 'oldPrimary' | 'notificationErrors'>>,
): string =>
  [
    `switchover of ${r.cluster}: ${r.outcome.toUpperCase()} (${r.from ?? '?'} -> ${r.to})`,
    ...r.reasons.map((reason) => `  - ${reason}`),
    renderTable(['STEP', 'TOOK'], r.steps.map((s) => [s.step, duration(s.ms)])),
    ...(r.writeUnavailableMs !== null ? [`writes were refused for ${duration(r.writeUnavailableMs)}`] : []),
    ...(r.dns ? [`DNS: ${r.dns.record} -> ${r.dns.target}`] : []),
    ...r.databaseUrl.map((u) => `DATABASE_URL ${u.region} ${u.name}: ${u.host}:${u.port}`),
    ...(r.oldPrimary ? [`old primary ${r.oldPrimary.node}: ${r.oldPrimary.outcome.toUpperCase()} (${r.oldPrimary.reason})`] : []),
    ...(r.notificationErrors ?? []).map((e) => `not published: ${e}`),
  ].join('\n');

export const formatRejoin = (r: RejoinReceipt): string =>
  [
    `rejoin of ${r.cluster}/${r.node}: ${r.outcome.toUpperCase()}${r.writer ? ` (writer ${r.writer}${r.method ? `, ${r.method}` : ''})` : ''}`,
    ...r.reasons.map((reason) => `  - ${reason}`),
    ...(r.nodeTimeline !== null && r.writerTimeline !== null
      ? [`timelines: ${r.node} ${r.nodeTimeline}, writer ${r.writerTimeline}${r.forkLsn ? `, forked at ${r.forkLsn}` : ''}`]
      : []),
    ...(r.discardedBytes !== null ? [`WAL written only on ${r.node} after the fork: ${bytes(r.discardedBytes)}, ${r.discardedCommits ?? '?'} commit(s)`] : []),
    `took ${duration(r.ms)}${r.commandId ? ` (command ${r.commandId})` : ''}`,
  ].join('\n');

export const formatResolve = (r: ResolveResult): string =>
  [
    `resolve of ${r.cluster}: ${r.outcome.toUpperCase()} (writer ${r.writer} on timeline ${r.timeline ?? 'unknown'}, generation ${r.generation})`,
    ...r.reasons.map((reason) => `  - ${reason}`),
  ].join('\n');

export const formatReceipt = (r: Receipt): string =>
  [
    `failover of ${r.cluster} (${r.execution}): ${r.outcome.toUpperCase()}${r.promoted ? `: ${r.promoted} is the writer` : ''}`,
    ...r.reasons.map((reason) => `  - ${reason}`),
    ...(r.dataLoss
      ? [
          `data loss: ${bytes(r.dataLoss.bytes)} / ${r.dataLoss.seconds === null ? 'unknown' : duration(r.dataLoss.seconds * 1000)} (${r.dataLoss.basis})` +
            (r.dataLoss.upperBoundBytes !== null ? `; at most about ${bytes(r.dataLoss.upperBoundBytes)} with the unobserved writes` : ''),
        ]
      : []),
    ...(r.dns
      ? [`DNS: ${r.dns.status}${r.dns.target ? ` -> ${r.dns.target}` : ` (${r.dns.node})`}${r.dns.status === 'pending' ? ': convergeDns applies it when Route 53 answers' : ''}`]
      : []),
    ...r.databaseUrl.map((u) => `DATABASE_URL ${u.region} ${u.name}: ${u.host}:${u.port}`),
    renderTable(['STEP', 'TOOK'], r.steps.map((s) => [s.step, duration(s.ms)])),
    `total ${duration(r.totalMs)}`,
  ].join('\n');

export const formatHistory = (entries: HistoryEntry[]): string =>
  entries.length === 0
    ? 'no failover or switchover recorded'
    : renderTable(
        ['AT', 'CLUSTER', 'KIND', 'OUTCOME', 'FROM', 'TO', 'WHY'],
        entries.map((e) => [e.at, e.cluster, e.kind, e.outcome, e.from, e.to, e.reasons.at(-1)?.slice(0, 80)]),
      );
