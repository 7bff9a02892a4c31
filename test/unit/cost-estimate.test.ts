import { readFileSync } from 'node:fs';
import { PASS_INTERVAL_SECONDS, PASSES_PER_INVOCATION } from '../../functions/failover/converge-dns';
import { parse } from 'yaml';
import { pausedDatums, toDatums, writerLeaseDatums } from '../../shared/monitor/datums';
import { summarise } from '../../shared/monitor/snapshot';
import { EXAMPLE_CONFIG_FILE, loadConfigFile } from '../../shared/config/load';
import { alarmDefinitions } from '../../shared/infra/alarms';
import { controlPlaneAlarmNames } from '../../shared/infra/control-plane';
import { dashboardResources } from '../../shared/infra/dashboard';
import { deploymentNames } from '../../shared/infra/resources';
import { aReplicationRow, aStandby, aWriter, anObservation } from '../fixtures/observations';

/**
 * docs/deploy.md, section 10, prices what one stack, one cluster and each further control region
 * use; the counts in its tables are computed here from the code, so that the estimate follows the code.
 */
describe('the cost estimate in docs/deploy.md', () => {
  const doc = readFileSync('docs/deploy.md', 'utf8');
  const config = loadConfigFile(EXAMPLE_CONFIG_FILE);
  const cluster = config.clusters[0]!;
  const names = { service: 'pgfo', stage: 'prod', ...deploymentNames('pgfo', 'prod') };
  const row = (item: string, count: string) => expect(doc).toContain(`| ${item} | ${count} |`);
  const thousands = (n: number) => n.toLocaleString('en-US');
  const serverless = parse(readFileSync('serverless.yml', 'utf8').replace(/!Ref /g, ''));
  const runsPerMonth = 30 * 24 * 60;

  it('counts the metric streams a healthy cluster like the example publishes', () => {
    const [primary, ...standbys] = cluster.nodes.map((n) => n.name);
    const observation = anObservation([aWriter(primary!, standbys.map((s) => aReplicationRow(s))), ...standbys.map((s) => aStandby(s))]);
    // The example has deployment.writerLease: the monitor publishes the writer lease's counter too.
    const lease = { node: primary!, generation: 1, counter: 1, revokedBy: null };
    const datums = [
      ...toDatums(observation, summarise(observation)),
      ...pausedDatums(cluster.name, false, observation.at),
      ...(config.deployment.writerLease ? writerLeaseDatums(cluster.name, lease, observation.at) : []),
    ];
    const streams = new Set(datums.map((d) => [d.MetricName, ...(d.Dimensions ?? []).map((x) => x.Value)].join('/')));

    expect(datums.every((d) => d.StorageResolution === 1)).toBe(true);
    row('custom metrics (high resolution)', String(streams.size));
  });

  it('counts the alarms of one cluster, all high-resolution at the default period, and those of the control plane', () => {
    const alarms = alarmDefinitions(config, names.prefix).filter((a) => a.cluster === cluster.name);

    expect(alarms.every((a) => a.periodSeconds < 60)).toBe(true);
    row('alarms, high resolution', String(alarms.length));
    row('control-plane alarms (60 s)', String(controlPlaneAlarmNames(names).length));
    row('dashboards', String(Object.keys(dashboardResources({ ...config, clusters: [cluster] }, alarms, names.prefix)).length));
  });

  it('prices a stack per control region of the example', () => {
    row('stacks (control regions)', String(config.controlRegions.length));
  });

  it('counts the scheduled runs and the monitor calls of a 30-day month', () => {
    const schedules = ['monitor', 'convergeDns', 'convergeFences'].map((fn) => serverless.functions[fn].events[0].eventBridge.schedule);
    const { samplesPerInvocation } = cluster.monitor;

    expect(schedules).toEqual(['rate(1 minute)', 'rate(1 minute)', 'rate(1 minute)']);
    row('monitor invocations', thousands(runsPerMonth));
    row('`convergeDns` and `convergeFences` invocations', thousands(2 * runsPerMonth));
    // convergeDns runs until its last pass is done (about a second after the last slot).
    const convergeSeconds = (PASSES_PER_INVOCATION - 1) * PASS_INTERVAL_SECONDS + 1;
    row('`convergeDns` compute', `about ${thousands(runsPerMonth * convergeSeconds * (serverless.provider.memorySize / 1024))} GB-s`);
    row('PutMetricData calls', thousands(samplesPerInvocation * runsPerMonth));
  });
});
