import { route53Client } from '../aws/clients/route53';
import { ssmClient } from '../aws/clients/ssm';
import { classifyAwsError } from '../aws/errors';
import type { LeaseStore } from '../aws/lease';
import { readCname, upsertCname, waitInSync } from '../aws/route53';
import { readParameterFresh, writeSecureString } from '../aws/ssm';
import type { ClusterConfig, NodeConfig } from '../config/schema';
import { clientEndpoint } from '../config/cluster-context';
import { databaseUrlTarget, repointDatabaseUrl } from '../database-url';
import { AwsPermanentError, AwsTransientError } from '../errors';
import { readWhileHolding } from '../workflow/lease-guard';

/**
 * Where the cluster record stands after a repoint:
 * - `in-sync`: Route 53 accepted the change and reports it INSYNC on its name servers;
 * - `propagating`: accepted, still PENDING when the wait ran out (Route 53 finishes it on its own);
 * - `superseded`: a writer with a higher lease generation recorded its own target; nothing was sent.
 */
export interface RecordRepoint {
  record: string;
  target: string;
  node: string;
  ttl: number;
  status: 'in-sync' | 'propagating' | 'superseded';
  generation: number;
  changeId: string | null;
  /** Time from the UPSERT being accepted to INSYNC (null unless in sync). */
  syncMs: number | null;
  reason?: string;
}

/** Who is repointing: the lease store and the generation of the lease the writer holds. */
export interface RepointWriter {
  store: LeaseStore;
  holder: string;
  generation: number;
}

/**
 * Points the cluster record at `node`: records the intent (so the DNS convergence can finish it if
 * Route 53 refuses), UPSERTs (safe to repeat), marks it applied, then waits for INSYNC up to
 * `dnsSyncTimeoutSeconds` (unless `waitInSync: false`: the convergence, whose next tick looks
 * again, does not wait). A writer with a higher generation wins: a stale retry sends nothing.
 * @throws AwsTransientError/AwsPermanentError when Route 53 does not take the change (the intent
 *   stays recorded as not applied, with the reason).
 */
export const repointRecord = async (cluster: ClusterConfig, node: NodeConfig, writer: RepointWriter, options: { waitInSync?: boolean } = {}): Promise<RecordRepoint> => {
  const { hostedZoneId, recordName, ttl } = cluster.route53;
  const base = { record: recordName, target: node.dnsName, node: node.name, ttl, generation: writer.generation };
  const recorded = await writer.store.recordDnsIntent({ cluster: cluster.name, generation: writer.generation, node: node.name, target: node.dnsName, holder: writer.holder });
  if (!recorded) {
    return { ...base, status: 'superseded', changeId: null, syncMs: null, reason: `a newer writer than generation ${writer.generation} owns ${recordName}` };
  }
  let changeId: string;
  try {
    changeId = await upsertCname(route53Client(), hostedZoneId, recordName, node.dnsName, ttl);
  } catch (error) {
    await writer.store.settleDnsIntent(cluster.name, writer.generation, { reason: (error as Error).message }).catch(() => undefined);
    throw error;
  }
  // Marking the intent applied and waiting for INSYNC are independent: both at once, and a failed
  // mark still fails the step (after the wait), as before.
  if (options.waitInSync === false) {
    await writer.store.settleDnsIntent(cluster.name, writer.generation, { changeId });
    return { ...base, status: 'propagating', changeId, syncMs: null, reason: `change ${changeId} accepted; not waited for` };
  }
  const [settled, synced] = await Promise.allSettled([
    writer.store.settleDnsIntent(cluster.name, writer.generation, { changeId }),
    waitInSync(route53Client(), changeId, cluster.policy.dnsSyncTimeoutSeconds * 1000, 1000),
  ]);
  if (settled.status === 'rejected') throw settled.reason;
  try {
    if (synced.status === 'rejected') throw synced.reason;
    const sync = synced.value;
    return sync.status === 'INSYNC'
      ? { ...base, status: 'in-sync', changeId, syncMs: sync.ms }
      : { ...base, status: 'propagating', changeId, syncMs: null, reason: `change ${changeId} still PENDING after ${cluster.policy.dnsSyncTimeoutSeconds} s` };
  } catch (error) {
    // The change was accepted: Route 53 propagates it whether or not GetChange answers.
    return { ...base, status: 'propagating', changeId, syncMs: null, reason: (error as Error).message };
  }
};

export type ConvergeOutcome =
  | { cluster: string; action: 'none'; reason: string }
  | { cluster: string; action: 'applied'; generation: number; target: string; changeId: string }
  | { cluster: string; action: 'deferred' | 'failed'; generation: number; reason: string };

/**
 * Finishes a repoint Route 53 refused: under the cluster's lease (so no failover or switchover
 * writes meanwhile), re-reads the recorded intent and UPSERTs exactly that target. A stale retry
 * cannot overwrite a newer writer: whatever it read before taking the lease, it sends the intent
 * recorded by the latest generation, and only while holding the lease.
 */
export const convergeRecord = async (cluster: ClusterConfig, store: LeaseStore, now = Date.now()): Promise<ConvergeOutcome> => {
  const seen = await store.readDnsIntent(cluster.name);
  if (!seen || seen.applied) return { cluster: cluster.name, action: 'none', reason: seen ? `${seen.target} applied (generation ${seen.generation})` : 'no repoint recorded' };
  const holder = `dns-converge-${cluster.name}-${now}`;
  const lease = await store.acquire(cluster.name, holder, 'dns convergence', 60, now, { ignoreCooldown: true });
  if (!lease.acquired) return { cluster: cluster.name, action: 'deferred', generation: seen.generation, reason: lease.reason };
  try {
    return await applyDnsIntent(cluster, store);
  } finally {
    await store.release(cluster.name, holder, 0).catch(() => undefined);
  }
};

/**
 * UPSERTs the recorded intent as it stands now (the latest generation's target) and marks it
 * applied, or notes why not. The caller holds the cluster's lease.
 */
export const applyDnsIntent = async (cluster: ClusterConfig, store: LeaseStore): Promise<ConvergeOutcome> => {
  const intent = await store.readDnsIntent(cluster.name);
  if (!intent || intent.applied) return { cluster: cluster.name, action: 'none', reason: 'applied meanwhile' };
  const { hostedZoneId, recordName, ttl } = cluster.route53;
  try {
    const changeId = await upsertCname(route53Client(), hostedZoneId, recordName, intent.target, ttl);
    await store.settleDnsIntent(cluster.name, intent.generation, { changeId });
    return { cluster: cluster.name, action: 'applied', generation: intent.generation, target: intent.target, changeId };
  } catch (error) {
    const reason = (error as Error).message;
    await store.settleDnsIntent(cluster.name, intent.generation, { reason }).catch(() => undefined);
    return { cluster: cluster.name, action: 'failed', generation: intent.generation, reason };
  }
};

export interface DatabaseUrlWrite {
  region: string;
  name: string;
  host: string;
  port: number;
  changed: boolean;
}

/**
 * Rewrites DATABASE_URL in every configured application region to `node`, keeping user, password,
 * database and parameters. A parameter already pointing there is left alone (safe to repeat, so a
 * re-run finishes the regions a failed run did not write). Values are never logged or returned:
 * only host and port are.
 * @throws AwsTransientError (when any failure may pass) or AwsPermanentError, naming the regions
 *   written and not written; or what `beforeWrite` rejected with, before anything was written.
 */
export const rewriteDatabaseUrls = async (
  cluster: ClusterConfig,
  node: NodeConfig,
  options: { beforeWrite?: Promise<void> } = {},
): Promise<{ parameters: DatabaseUrlWrite[] }> => {
  // Every region's current value is read at once, while `beforeWrite` (the lease check) runs: a
  // read changes nothing, and nothing is written unless it succeeded (its error is thrown as is).
  // A region whose read failed is reported below with the others, not here.
  const reads = cluster.databaseUrlParameters.map((target) => readParameterFresh(ssmClient(target.region), target.region, target.name));
  await readWhileHolding(options.beforeWrite ?? Promise.resolve(), Promise.allSettled(reads));
  // Regions are independent (each write is idempotent): rewrite them all at the same time, and
  // let one region's failure stop none of the others.
  const results = await Promise.allSettled(
    cluster.databaseUrlParameters.map(async (target, i) => {
      const ssm = ssmClient(target.region);
      const current = await reads[i]!;
      const client = clientEndpoint(node);
      const next = repointDatabaseUrl(current, client.host, client.port);
      const changed = next !== current;
      if (changed) await writeSecureString(ssm, target.region, target.name, next, target.kmsKeyArn);
      const { host, port } = databaseUrlTarget(next);
      return { region: target.region, name: target.name, host, port, changed };
    }),
  );
  const written = results.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = results.flatMap((r, i) => (r.status === 'rejected' ? [{ parameter: cluster.databaseUrlParameters[i]!, error: r.reason as Error }] : []));
  if (failed.length === 0) return { parameters: written };
  const where = (p: { region: string; name: string }) => `${p.region} ${p.name}`;
  const message =
    `DATABASE_URL written in ${written.map(where).join(', ') || 'no region'}; ` +
    `not written in ${failed.map((f) => `${where(f.parameter)} (${f.error.message})`).join(', ')}`;
  const errors = failed.map((f) => (f.error instanceof AwsTransientError || f.error instanceof AwsPermanentError ? f.error : classifyAwsError(f.error, `DATABASE_URL ${where(f.parameter)}`)));
  const transient = errors.some((e) => e instanceof AwsTransientError);
  throw transient ? new AwsTransientError(message, { cause: errors[0] }) : new AwsPermanentError(message, { cause: errors[0] });
};

/** Where the record and each DATABASE_URL point now (reads only). */
export const publishedTargets = async (cluster: ClusterConfig) => {
  const record = await readCname(route53Client(), cluster.route53.hostedZoneId, cluster.route53.recordName);
  const urls = await Promise.all(
    cluster.databaseUrlParameters.map(async (p) => ({
      region: p.region,
      name: p.name,
      ...databaseUrlTarget(await readParameterFresh(ssmClient(p.region), p.region, p.name)),
    })),
  );
  return { record, urls };
};
