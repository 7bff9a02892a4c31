import { parseArgs, UsageError } from '../../drill/options';

describe('drill command line', () => {
  it('runs the region-outage scenario on the example configuration by default', () => {
    expect(parseArgs([])).toEqual({ command: 'drill', scenario: 'region-outage', configFile: 'config/clusters.example.yml', keep: false });
  });

  it('reads every flag, as "--flag value" or "--flag=value"', () => {
    expect(parseArgs(['--scenario', 'false-alarm', '--config=c.yml', '--cluster', 'billing', '--json', 'r.json', '--html=r.html', '--log', 'l.txt', '--keep'])).toEqual({
      command: 'drill',
      scenario: 'false-alarm',
      configFile: 'c.yml',
      cluster: 'billing',
      jsonFile: 'r.json',
      htmlFile: 'r.html',
      logFile: 'l.txt',
      keep: true,
    });
  });

  it('runs dns-down with the Route 53 PENDING time given in seconds', () => {
    expect(parseArgs(['--scenario', 'dns-down', '--dns-pending-seconds', '30'])).toMatchObject({ scenario: 'dns-down', dnsPendingSeconds: 30 });
  });

  it('tears down with --down, which takes no other flag', () => {
    expect(parseArgs(['--down']).command).toBe('down');
    expect(() => parseArgs(['--down', '--keep'])).toThrow('--down: tears a kept stack down and takes no other flag (got --keep)');
  });

  it.each([
    [['--scenario', 'meteor'], '--scenario: unknown scenario "meteor" (one of region-outage, region-isolated, primary-crash, false-alarm, lagging-dr, switchover, dns-down, fence-refused, partition, control-partition, primary-stall, monitor-path-loss, sync-standby-loss, ssm-region-down, dependency-blip, second-failover, round-trip, double-region)'],
    [['--dns-pending-seconds', '1.5'], '--dns-pending-seconds: a whole number of seconds (0-9999), got "1.5"'],
    [['--json'], '--json: needs a value'],
    [['--json', '--keep'], '--json: needs a value'],
    [['--config='], '--config: needs a value'],
    [['--keep=yes'], '--keep: takes no value'],
    [['--verbose'], '--verbose: unknown flag'],
    [['region-outage'], 'region-outage: unknown argument'],
    [['--json', 'a', '--json', 'b'], '--json: given more than once'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });
});
