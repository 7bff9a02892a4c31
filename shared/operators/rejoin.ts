import { ec2Client } from '../aws/clients/ec2';
import { FENCED_TAG, instanceState, untagInstance } from '../aws/ec2';
import { ssmClient } from '../aws/clients/ssm';
import { ensureDocumentIn, type CommandRunner } from '../aws/run-command';
import { withFailoverConnection } from '../actions/failover-connection';
import { nodeNamed, type ClusterContext } from '../config/cluster-context';
import { decideRejoin } from '../decisions/rejoin';
import { REJOIN_STREAMING_CHECK_SECONDS, REJOIN_TIMEOUT_SECONDS } from '../workflow/timeouts';
import { log } from '../log';
import { standbyOnWriter } from '../postgres/switchover-sql';
import { sleep } from '../time';
import { leaseStore, rejoinDocumentName } from '../workflow/environment';
import { holdLease } from '../workflow/lease-guard';
import { observeNodes, readRecord } from '../actions/topology';
import { recordRejoin } from '../decisions/cluster-record';
import { clusterRecordStore } from '../workflow/environment';

export interface RejoinRequest {
  cluster: string;
  node: string;
  dryRun: boolean;
  mode: 'auto' | 'rewind' | 'basebackup';
}

export interface RejoinReceipt {
  cluster: string;
  node: string;
  outcome: 'rejoined' | 'dry-run' | 'refused' | 'failed';
  writer: string | null;
  /** rewind or basebackup. */
  method: string | null;
  reasons: string[];
  writerTimeline: number | null;
  nodeTimeline: number | null;
  /** Where the node's timeline left the writer's history (null: same timeline, or not in it). */
  forkLsn: string | null;
  /** WAL the node wrote after the fork, discarded by the rejoin: data that existed only there. */
  discardedBytes: number | null;
  discardedCommits: number | null;
  commandId: string | null;
  ms: number;
}

/** How long the writer is watched for the node streaming, once the document reported it did. */
const STREAMING_CHECK_MS = REJOIN_STREAMING_CHECK_SECONDS * 1000;
/** SSM Run Command's shortest TimeoutSeconds. */
const SHORTEST_COMMAND_SECONDS = 30;
/** Kept for the calls before and after the command (document copy, receipt, tag, record). */
const AROUND_COMMAND_MS = 15_000;

/**
 * How long the command may run: the document's own limit or, for a caller with a deadline of its
 * own (a switchover's function), what is left of it after the streaming check. Null when that is
 * shorter than SSM accepts: the rejoin is refused rather than cut off half done.
 */
export const commandTimeoutSeconds = (deadlineAt: number | undefined, now: number): number | null => {
  if (deadlineAt === undefined) return REJOIN_TIMEOUT_SECONDS;
  const seconds = Math.floor((deadlineAt - now - STREAMING_CHECK_MS - AROUND_COMMAND_MS) / 1000);
  return seconds < SHORTEST_COMMAND_SECONDS ? null : Math.min(REJOIN_TIMEOUT_SECONDS, seconds);
};

/** The document's last line: `PGFO-RESULT {json}`. */
const resultLine = (stdout: string): Record<string, unknown> | null => {
  const line = stdout.split('\n').reverse().find((l) => l.startsWith('PGFO-RESULT '));
  if (!line) return null;
  try {
    return JSON.parse(line.slice('PGFO-RESULT '.length)) as Record<string, unknown>;
  } catch {
    return null;
  }
};

const numberOrNull = (value: unknown): number | null => (typeof value === 'number' ? value : null);
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

/**
 * Brings a fenced or diverged node back as a standby of the current writer: decides from what is
 * observed (never the writer itself), runs the rejoin document on the node's host (pg_rewind, or a
 * base backup), checks from the writer that the node streams, clears its fenced tag and stores the
 * receipt. Holds the cluster's lease meanwhile, so it never races a failover or a switchover.
 * `dryRun` reports what would be discarded and changes nothing. `deadlineAt` (epoch ms) caps the
 * command's run, for a caller that must finish before its own deadline.
 */
export const rejoinNode = async (
  context: ClusterContext,
  request: RejoinRequest,
  runCommand: CommandRunner,
  options: { deadlineAt?: number } = {},
): Promise<RejoinReceipt> => {
  const started = Date.now();
  const { cluster, config } = context;
  const node = nodeNamed(cluster, request.node);
  const base = { cluster: cluster.name, node: node.name, method: null, writerTimeline: null, nodeTimeline: null, forkLsn: null, discardedBytes: null, discardedCommits: null, commandId: null };
  const holder = `rejoin-${cluster.name}-${started}`;
  const store = leaseStore(config);
  const lease = await store.acquire(cluster.name, holder, 'rejoin', cluster.policy.leaseSeconds, Date.now(), { ignoreCooldown: true });
  if (!lease.acquired) return { ...base, outcome: 'refused', writer: null, reasons: [lease.reason], ms: Date.now() - started };
  // Before each step that changes the node or the record: the lease is still this rejoin's (LeaseLostError if not).
  const hold = (step: string) => holdLease(config, cluster, holder, `rejoin ${step}`);
  try {
    const record = await readRecord(context);
    const verdict = decideRejoin(node.name, await observeNodes(context), record.writer);
    if (!verdict.rejoin) return { ...base, outcome: 'refused', writer: null, reasons: [verdict.reason], ms: Date.now() - started };
    const writer = nodeNamed(cluster, verdict.writer);
    const reasons = [...verdict.notes];
    // Run Command reaches only a running instance; a stopped one must be started first, which its
    // host guard makes safe (PostgreSQL comes up in recovery while it is tagged fenced).
    const state = await instanceState(ec2Client(node.region), node.instanceId);
    if (state !== 'running') {
      return { ...base, outcome: 'refused', writer: writer.name, reasons: [`${node.name}'s instance is ${state}: start it first (its host guard keeps PostgreSQL read-only while it is fenced), then rejoin`], ms: Date.now() - started };
    }
    const timeoutSeconds = commandTimeoutSeconds(options.deadlineAt, Date.now());
    if (timeoutSeconds === null) {
      return { ...base, outcome: 'refused', writer: writer.name, reasons: [`not enough time left in this invocation to run the rejoin of ${node.name} and check it streams: nothing changed`], ms: Date.now() - started };
    }
    await hold(request.dryRun ? 'dry run' : request.mode);
    await ensureDocumentIn(ssmClient(config.controlRegion), config.controlRegion, ssmClient(node.region), node.region, rejoinDocumentName());
    const result = await runCommand(
      { region: node.region, instanceId: node.instanceId },
      rejoinDocumentName(),
      {
        DataDir: node.postgres.dataDirectory,
        PgBin: node.postgres.binDirectory,
        Service: node.postgres.service,
        SourceHost: writer.host,
        SourcePort: String(writer.port),
        Database: cluster.database,
        ReplicationUser: cluster.replicationUser,
        ApplicationName: node.name,
        Mode: request.mode,
        DryRun: request.dryRun ? '1' : '0',
      },
      { timeoutSeconds },
    );
    const report = resultLine(result.stdout);
    const measured = {
      method: stringOrNull(report?.method),
      writerTimeline: numberOrNull(report?.writerTimeline),
      nodeTimeline: numberOrNull(report?.nodeTimeline),
      forkLsn: stringOrNull(report?.forkLsn),
      discardedBytes: numberOrNull(report?.discardedBytes),
      discardedCommits: numberOrNull(report?.discardedCommits),
      commandId: result.commandId,
    };
    const outcome = stringOrNull(report?.outcome);
    if (result.status !== 'Success' || (outcome !== 'rejoined' && outcome !== 'dry-run')) {
      const why = stringOrNull(report?.reason) ?? (result.stderr.trim().split('\n').at(-1) || `command ${result.status}`);
      return { ...base, ...measured, outcome: 'failed', writer: writer.name, reasons: [...reasons, `rejoin of ${node.name} failed: ${why}`], ms: Date.now() - started };
    }
    if (measured.discardedBytes) {
      reasons.push(`${node.name} had written ${measured.discardedBytes} bytes of WAL (${measured.discardedCommits ?? '?'} commits) after its timeline left the writer's at ${measured.forkLsn}: ${request.dryRun ? 'a rejoin discards them' : 'discarded'}`);
    }
    if (outcome === 'dry-run') return { ...base, ...measured, outcome: 'dry-run', writer: writer.name, reasons, ms: Date.now() - started };
    const streaming = await streamsFrom(context, writer, node.name, STREAMING_CHECK_MS);
    if (!streaming) {
      return { ...base, ...measured, outcome: 'failed', writer: writer.name, reasons: [...reasons, `${writer.name} does not see ${node.name} streaming after the ${measured.method}`], ms: Date.now() - started };
    }
    const fallback = stringOrNull(report?.fallback);
    if (fallback) reasons.push(`pg_rewind was not enough (${fallback}): fell back to a fresh base backup`);
    reasons.push(`${node.name} streams from ${writer.name} (${measured.method}) on timeline ${measured.writerTimeline}`);
    await hold('unfence');
    await untagInstance(ec2Client(node.region), node.instanceId, FENCED_TAG);
    // The record no longer calls it fenced: it is a candidate again (a failback switches over to it).
    const current = await readRecord(context);
    await clusterRecordStore(config).update(recordRejoin(current, node.name, holder, new Date().toISOString()), current.generation);
    const receipt: RejoinReceipt = { ...base, ...measured, outcome: 'rejoined', writer: writer.name, reasons, ms: Date.now() - started };
    await store
      .recordReceipt(cluster.name, holder, new Date(started).toISOString(), { kind: 'rejoin', startedAt: new Date(started).toISOString(), from: node.name, to: writer.name, ...receipt })
      .catch((error) => log.error('rejoin receipt not stored', { cluster: cluster.name, error }));
    return receipt;
  } finally {
    await store.release(cluster.name, holder, 0).catch((error) => log.error('rejoin lease release failed', { cluster: cluster.name, error }));
  }
};

/** Waits (bounded) until the writer's pg_stat_replication shows the node streaming. */
const streamsFrom = async (context: ClusterContext, writer: ReturnType<typeof nodeNamed>, node: string, timeoutMs: number): Promise<boolean> => {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const view = await withFailoverConnection(context, writer, (client) => standbyOnWriter(client, node)).catch(() => null);
    if (view?.state === 'streaming') return true;
    await sleep(500);
  }
  return false;
};
