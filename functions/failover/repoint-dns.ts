import { route53Client } from '../../shared/aws/clients/route53';
import { upsertCname, waitInSync } from '../../shared/aws/route53';
import { clusterContext, nodeNamed } from '../../shared/failover/cluster-context';
import { executionInputSchema, timed, type DnsResult, type FailoverState } from '../../shared/failover/state';
import { StateMissingError } from '../../shared/errors';
import { lambda } from '../../shared/lambda';

/** Points the cluster record at the promoted node (UPSERT: safe to repeat) and waits for INSYNC. */
export const repointDns = (state: FailoverState): Promise<DnsResult> =>
  timed(async () => {
    if (!state.promotion) throw new StateMissingError('repointDns needs the promotion result ($.promotion)');
    const { cluster } = clusterContext(state.cluster);
    const node = nodeNamed(cluster, state.promotion.node);
    const { hostedZoneId, recordName, ttl } = cluster.route53;
    const changeId = await upsertCname(route53Client(), hostedZoneId, recordName, node.dnsName, ttl);
    const syncMs = await waitInSync(route53Client(), changeId, cluster.policy.dnsSyncTimeoutSeconds * 1000);
    return { record: recordName, target: node.dnsName, ttl, syncMs };
  });

export const handler = lambda('repointDns', repointDns, { input: executionInputSchema });
