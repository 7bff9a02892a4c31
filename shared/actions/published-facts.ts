import { route53Client } from '../aws/clients/route53';
import { ssmClient } from '../aws/clients/ssm';
import type { DnsIntent, LeaseStore } from '../aws/lease';
import { readCname } from '../aws/route53';
import { readParameterFresh } from '../aws/ssm';
import { clientEndpoint } from '../config/cluster-context';
import type { ClusterConfig } from '../config/schema';
import { databaseUrlTarget } from '../database-url';
import type { ClusterRecord } from '../decisions/cluster-record';
import type { DnsIntentSeen, Observed, PublishedFacts } from '../decisions/reconcile';

const strip = (name: string) => name.replace(/\.$/, '').toLowerCase();

/** An answer, or why there is none (a read that failed is a fact too: "could not check"). */
export const observed = async <T>(read: Promise<T>): Promise<Observed<T>> =>
  read.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, reason: error.message }),
  );

/** The configured node a DATABASE_URL's host and port name (null: none of them). */
export const nodeAtEndpoint = (cluster: ClusterConfig, host: string, port: number): string | null =>
  cluster.nodes.find((n) => clientEndpoint(n).host === host && clientEndpoint(n).port === port)?.name ?? null;

/** The configured node a CNAME target names (null: none of them). */
export const nodeAtDnsName = (cluster: ClusterConfig, target: string | null): string | null =>
  target === null ? null : (cluster.nodes.find((n) => strip(n.dnsName) === strip(target))?.name ?? null);

/** The facts of a recorded DNS intent the decision looks at. */
export const intentSeen = (i: DnsIntent | null): DnsIntentSeen | null =>
  i ? { node: i.node, generation: i.generation, applied: i.applied, ...(i.reason ? { reason: i.reason } : {}) } : null;

/** Since when the record names its writer: the incident that made it the writer, else its last update. */
export const writerSince = (record: ClusterRecord): string =>
  record.lastIncident && record.lastIncident.to === record.writer ? record.lastIncident.at : record.updatedAt;

/**
 * Reads, all at once, where every DATABASE_URL and the cluster record point and the recorded DNS
 * intent, each with its own answer or failure (one unreadable region hides none of the others).
 * Values are never kept: only host, port and the node they name.
 */
export const observePublished = async (cluster: ClusterConfig, record: ClusterRecord, store: Pick<LeaseStore, 'readDnsIntent'>): Promise<PublishedFacts> => {
  const { hostedZoneId, recordName } = cluster.route53;
  const [urls, dns, intent] = await Promise.all([
    Promise.all(
      cluster.databaseUrlParameters.map(async (p) => ({
        region: p.region,
        name: p.name,
        seen: await observed(
          readParameterFresh(ssmClient(p.region), p.region, p.name).then((value) => {
            const { host, port } = databaseUrlTarget(value);
            return { region: p.region, name: p.name, host, port, node: nodeAtEndpoint(cluster, host, port) };
          }),
        ),
      })),
    ),
    observed(readCname(route53Client(), hostedZoneId, recordName).then((target) => ({ target, node: nodeAtDnsName(cluster, target) }))),
    observed(store.readDnsIntent(cluster.name).then(intentSeen)),
  ]);
  return { writer: record.writer, since: writerSince(record), urls, dns, intent };
};
