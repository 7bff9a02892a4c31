import * as z from 'zod';
import { cloudWatchClient } from '../../shared/aws/clients/cloudwatch';
import { ssmClient } from '../../shared/aws/clients/ssm';
import { MetricPublisher } from '../../shared/aws/metric-publisher';
import { readSecureString } from '../../shared/aws/ssm';
import { clusterNamed } from '../../shared/config/cluster-context';
import { loadConfig } from '../../shared/config/load';
import { nameSchema } from '../../shared/config/schema';
import { lambda } from '../../shared/lambda';
import { isScheduledEvent } from '../../shared/scheduled';
import { runMonitor, type MonitorSummary } from '../../shared/monitor/run-monitor';
import { clusterRecordStore, leaseStore, writerLeaseStore } from '../../shared/workflow/environment';
import { synchronousOnSample, type SynchronousOutcome } from '../../shared/actions/manage-synchronous';

/**
 * Either the EventBridge schedule's own event (run with the configured sampling), or an explicit
 * request: fewer samples, a shorter interval or a subset of clusters (drills, tests, manual checks).
 */
type MonitorRequest = { samples?: number; intervalMs?: number; clusters?: string[] };


export const monitorInput = z.preprocess(
  (event) => (isScheduledEvent(event) ? {} : event),
  z.strictObject({
    samples: z.number().int().min(1).max(60).optional(),
    intervalMs: z.number().int().min(0).max(60000).optional(),
    clusters: z.array(nameSchema).min(1).max(100).optional(),
  }),
);

export const sampleAndPublish = async (input: MonitorRequest): Promise<MonitorSummary & { synchronous: SynchronousOutcome[] }> => {
  const config = loadConfig();
  for (const name of input.clusters ?? []) clusterNamed(config, name, 'clusters');
  const publisher = new MetricPublisher(cloudWatchClient(config.controlRegion), config.namespace);
  const records = clusterRecordStore(config);
  const read = (name: string) => readSecureString(ssmClient(config.controlRegion), config.controlRegion, name);
  const synchronous = synchronousOnSample(config, { leases: leaseStore(config), records });
  const writerLeases = config.deployment.writerLease ? writerLeaseStore(config) : null;
  const summary = await runMonitor(config, input, {
    publisher,
    password: (credential) => read(credential.passwordParameter),
    readParameter: read,
    // A cluster without a record has never been paused.
    pausedOf: async (name) => ((await records.read(name))?.paused ?? null) !== null,
    afterSample: synchronous.afterSample,
    // The writer lease's counter, published for the failover's first check (WriterLeaseCounter).
    ...(writerLeases ? { writerLeaseOf: (name: string) => writerLeases.read(name) } : {}),
  });
  return { ...summary, synchronous: synchronous.outcomes() };
};

export const handler = lambda('monitor', sampleAndPublish, { input: monitorInput });
