import { formatBytes } from '../shared/units';
import type { LegSpec, Roles, SequenceSpec } from './legs';
import type { WaitFor } from './scenarios';
import type { DrillStack } from './stack';

/** The issue's goal for each leg of double-region: fault → the application writes through DATABASE_URL again. */
export const DOUBLE_REGION_RTO_GOAL_MS = 30_000;

const storeOf = (drill: DrillStack, leg: string) => {
  if (!drill.leases) throw new Error(`${leg}: the drill stack models no store across regions (agents)`);
  return drill.leases.store;
};

/**
 * Waits until every standby streaming from the writer outside its region has flushed the writer's
 * WAL to within a quarter of the lag cap (as the writer sees it): a standby rejoined by a base backup
 * under load starts far behind, and the lag guard would rightly refuse it; that is lagging-dr's
 * subject, not this leg's. Says how far behind each was.
 */
const remotesCaughtUp = async (drill: DrillStack, roles: Roles, waitFor: WaitFor): Promise<string> => {
  const bound = drill.cluster.policy.maxLagBytes / 4;
  const behind = async () => {
    const rows = await drill.topology.query<{ name: string; behind: string | null }>(
      roles.writer.name,
      'SELECT application_name AS name, pg_wal_lsn_diff(pg_current_wal_lsn(), flush_lsn) AS behind FROM pg_stat_replication WHERE application_name = ANY($1)',
      [roles.remotes.map((n) => n.name)],
    );
    return roles.remotes.map((n) => ({ name: n.name, bytes: Number(rows.find((r) => r.name === n.name)?.behind ?? Number.POSITIVE_INFINITY) }));
  };
  const seen = await waitFor(`${roles.remotes.map((n) => n.name).join(', ')} within ${formatBytes(bound)} of ${roles.writer.name}`, async () => {
    const now = await behind();
    return now.every((r) => r.bytes <= bound) ? now : false;
  }, 120_000);
  return seen.map((r) => `${r.name} ${formatBytes(r.bytes)} behind`).join(', ');
};

/**
 * A whole region lost: its control plane (when a control region: monitor, alarm, schedule and
 * running executions stop), its path to the store's other regions, its routes and its instances
 * (`outage`, the region-outage leg).
 */
const regionLost = (name: string, outage: LegSpec, expectActedBy: (drill: DrillStack, region: string) => string | undefined, options: { catchUp?: boolean } = {}): LegSpec => ({
  name,
  alarmDriven: true,
  // Before the leg's writes (the first leg's writer runs from the warm-up): under the writer's full
  // write rate a slowed route never lets a standby catch up.
  ...(options.catchUp
    ? { before: async (drill: DrillStack, roles: Roles, waitFor: WaitFor) => (roles.remotes.length > 0 ? remotesCaughtUp(drill, roles, waitFor) : 'no standby streams from the writer outside its region') }
    : {}),
  expect: (roles) => {
    // Any standby streaming from the writer outside its region may be chosen (the workflow picks among equals).
    const expected = outage.expect(roles);
    return { ...expected, candidates: roles.remotes.map((n) => n.name), description: `${roles.remotes.map((n) => n.name).join(' or ')} promoted (loss within the receipt’s bound), ${roles.writer.name} fenced` };
  },
  act: async (drill, roles, waitFor) => {
    const region = roles.writer.region;
    const plane = await drill.regionDown(region);
    storeOf(drill, name).isolate(region);
    const done = await outage.act(drill, roles, waitFor);
    const actedBy = expectActedBy(drill, region);
    return {
      ...done,
      description: `${plane ? `${plane}; ` : ''}its path to the store cut; ${done.description}`,
      ...(actedBy ? { actedBy } : {}),
    };
  },
});

/**
 * Two control planes (us-west-2, the home, and us-east-2), one store: leg 1 loses the primary's
 * region (no control plane there; both stacks are alarmed and one of them acts), the region returns
 * and is rejoined, then leg 4 loses the DR's region with the home control plane in it: the stack in
 * the other control region promotes a node of the first region.
 */
export const doubleRegion = (legs: { regionOutage: LegSpec; regionReturns: LegSpec; rejoinDetached: LegSpec; slowInterRegion: (drill: DrillStack) => string }): SequenceSpec => ({
  name: 'double-region',
  payloadBytes: 1000,
  description:
    'two control planes on one store: the primary region lost (either stack promotes the DR), it returns and is rejoined, then the DR region lost with its control plane (the other stack promotes a node of the first region)',
  everyControlRegion: true,
  rtoGoalMs: DOUBLE_REGION_RTO_GOAL_MS,
  prepare: async (drill) => legs.slowInterRegion(drill),
  legs: [
    regionLost('primary region lost', legs.regionOutage, () => undefined),
    {
      ...legs.regionReturns,
      act: async (drill, roles, waitFor) => {
        const regions = [...new Set(roles.state.nodes.filter((n) => n.instanceState === 'stopped').map((n) => drill.cluster.nodes.find((c) => c.name === n.name)!.region))];
        for (const region of regions) storeOf(drill, 'region returns').restore(region);
        const done = await legs.regionReturns.act(drill, roles, waitFor);
        return { ...done, description: `path to the store of ${regions.join(', ')} back; ${done.description}` };
      },
    },
    legs.rejoinDetached,
    // The stack left is the one in a control region other than the lost one.
    regionLost('DR region lost with its control plane', legs.regionOutage, (drill, region) => drill.stack.config.controlRegions.find((r) => r !== region), { catchUp: true }),
  ],
});
