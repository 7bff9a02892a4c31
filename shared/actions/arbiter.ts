import type { ClusterRecordStore } from '../aws/cluster-record';
import { configuredPrimary, type ClusterContext } from '../config/cluster-context';
import { arbiterView, type ArbiterView } from '../decisions/arbiter';

export type ArbiterReading = { ok: true; view: ArbiterView } | { ok: false; reason: string };

/**
 * Which stacks arbitrate the cluster now, as this stack (config.controlRegion) reads the recorded
 * writer. A one-region control plane reads nothing: its one stack always arbitrates. A cluster with
 * no record yet has the configured primary as its writer. A record that cannot be read is reported
 * as such (ok: false), never guessed.
 */
export const arbiterNow = async ({ config, cluster }: ClusterContext, records: Pick<ClusterRecordStore, 'read'>): Promise<ArbiterReading> => {
  const configured = { node: configuredPrimary(cluster).name, from: 'configuration' as const };
  if (config.controlRegions.length === 1) return { ok: true, view: arbiterView(config, cluster, configured, config.controlRegion) };
  try {
    const record = await records.read(cluster.name);
    const writer = record ? { node: record.writer, from: 'record' as const } : configured;
    return { ok: true, view: arbiterView(config, cluster, writer, config.controlRegion) };
  } catch (error) {
    return { ok: false, reason: `${cluster.name}: the cluster record could not be read from ${config.controlRegion}: ${(error as Error).message}` };
  }
};
