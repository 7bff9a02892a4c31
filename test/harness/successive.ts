import { sampleAndPublish } from '../../functions/monitor/handler';
import type { LocalExecution } from '../../local/state-machine';
import type { AckedWriter } from '../../local/workload';
import type { FailoverConfig } from '../../shared/config/schema';
import type { Scenario } from './fixture';

/** No anti-flap window: a second fault comes right after the first failover. */
export const noCooldown = (config: FailoverConfig): void => {
  config.clusters[0]!.policy.cooldownSeconds = 0;
};

/** Helpers of the suites that fail over more than once on one stack (integration and drills). */
export const successiveHelpers = (current: () => Scenario) => {
  /**
   * Writes under monitoring (positions published as in production), then the writer's host dies; the
   * monitor samples on after, as it does in production, so it sees the writer gone (the receipt's
   * bound extrapolates the writes it did not see up to that moment).
   */
  const writeThenCrash = async (writer: AckedWriter, node: string, ms = 1500) => {
    await writer.start();
    const monitor = monitorUntilStopped();
    await new Promise((r) => setTimeout(r, ms));
    await current().stopInstances(node);
    await writer.stop();
    await monitor();
  };
  /**
   * The monitor sampling every 250 ms until the returned function is called (and a little after),
   * as it runs all the time in production: it sees the writer through its host's stopping phase and
   * then gone, so the receipt's bound extrapolates only the last moment it did not see.
   */
  const monitorUntilStopped = () => {
    let on = true;
    const loop = (async () => {
      while (on) await sampleAndPublish({ samples: 2, intervalMs: 250 });
    })();
    return async () => {
      await new Promise((r) => setTimeout(r, 600));
      on = false;
      await loop;
    };
  };
  /**
   * The second writer's host died with the DR promoted from it: the failover went to the DR on
   * timeline 3 and fenced the writer that failed; its acknowledged rows missing on the DR (asynchronous
   * to it) are at most the writes in flight, within the receipt's bound (500 bytes of payload a row).
   */
  const expectDrTookOverFrom = async (execution: LocalExecution, failed: string, writer: AckedWriter) => {
    expect(execution.status).toBe('SUCCEEDED');
    const receipt = current().receipt(execution);
    expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', previousPrimary: failed, timeline: 3 });
    expect(receipt.fencing).toMatchObject({ node: failed, fenced: true });
    expect(await timelineOf('standby_dr')).toBe(3);
    const { acked, lost } = await writer.lostOn(current().appTarget('standby_dr'));
    expect(acked).toBeGreaterThan(50);
    expect(lost * 500).toBeLessThanOrEqual(receipt.dataLoss?.upperBoundBytes ?? receipt.dataLoss?.bytes ?? 0);
    return receipt;
  };
  const streamsFrom = async (writer: string) =>
    (await current().topology().query<{ application_name: string }>(writer, "SELECT application_name FROM pg_stat_replication WHERE state = 'streaming'")).map((r) => r.application_name);
  const timelineOf = async (node: string) =>
    Number.parseInt((await current().topology().query<{ tli: string }>(node, 'SELECT substr(pg_walfile_name(pg_current_wal_lsn()), 1, 8) AS tli'))[0]!.tli, 16);
  return { writeThenCrash, monitorUntilStopped, expectDrTookOverFrom, streamsFrom, timelineOf };
};
