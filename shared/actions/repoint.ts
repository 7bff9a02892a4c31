import { route53Client } from '../aws/clients/route53';
import { ssmClient } from '../aws/clients/ssm';
import { readCname, upsertCname, waitInSync } from '../aws/route53';
import { readParameterFresh, writeSecureString } from '../aws/ssm';
import type { ClusterConfig, NodeConfig } from '../config/schema';
import { clientEndpoint } from '../config/cluster-context';
import { databaseUrlTarget, repointDatabaseUrl } from '../database-url';

/** Points the cluster record at `node` (UPSERT: safe to repeat) and waits for INSYNC. */
export const repointRecord = async (cluster: ClusterConfig, node: NodeConfig) => {
  const { hostedZoneId, recordName, ttl } = cluster.route53;
  const changeId = await upsertCname(route53Client(), hostedZoneId, recordName, node.dnsName, ttl);
  const syncMs = await waitInSync(route53Client(), changeId, cluster.policy.dnsSyncTimeoutSeconds * 1000);
  return { record: recordName, target: node.dnsName, ttl, syncMs };
};

/**
 * Rewrites DATABASE_URL in every configured application region to `node`, keeping user, password,
 * database and parameters. A parameter already pointing there is left alone (safe to repeat).
 * Values are never logged or returned: only host and port are.
 */
export const rewriteDatabaseUrls = async (cluster: ClusterConfig, node: NodeConfig) => {
  // Regions are independent (each write is idempotent): rewrite them all at the same time.
  const parameters = await Promise.all(
    cluster.databaseUrlParameters.map(async (target) => {
      const ssm = ssmClient(target.region);
      const current = await readParameterFresh(ssm, target.region, target.name);
      const client = clientEndpoint(node);
      const next = repointDatabaseUrl(current, client.host, client.port);
      const changed = next !== current;
      if (changed) await writeSecureString(ssm, target.region, target.name, next, target.kmsKeyArn);
      const { host, port } = databaseUrlTarget(next);
      return { region: target.region, name: target.name, host, port, changed };
    }),
  );
  return { parameters };
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
