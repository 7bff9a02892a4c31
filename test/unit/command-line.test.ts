import { parseBenchArgs } from '../../bench/options';
import { parseArgs } from '../../cli/args';
import { EXIT, main } from '../../cli/main';
import { UsageError } from '../../shared/command-line';

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { io: { out: (t: string) => out.push(t), err: (t: string) => err.push(t) }, out, err };
};

describe('pgfo command line (node:util parseArgs, strict)', () => {
  it('reads the command and its flags in either form', () => {
    expect(parseArgs(['plan', '--cluster', 'orders', '--to=standby_dr', '--json'])).toEqual({
      command: 'plan',
      flags: { cluster: 'orders', to: 'standby_dr', json: true },
    });
  });

  it.each([
    [['status', '--bogus'], '--bogus: unknown flag'],
    [['plan', '--cluster'], '--cluster: needs a value'],
    [['plan', '--cluster', '--json'], '--cluster: needs a value'],
    [['status', '--json=yes'], '--json: takes no value'],
    [['status', 'extra'], 'extra: unknown argument'],
    [['history', '--limit', '1', '--limit', '2'], '--limit: given more than once'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseArgs(argv)).toThrow(UsageError);
    expect(() => parseArgs(argv)).toThrow(message);
  });

  it('prints its usage for --help (exit 0) and for a bad flag (exit 2) without calling anything', async () => {
    const help = capture();
    expect(await main(['--help'], help.io)).toBe(EXIT.ok);
    expect(help.out.join('\n')).toMatch(/^usage: pgfo /);
    const bad = capture();
    expect(await main(['status', '--stage', 'prod', '--clusterr', 'x'], bad.io)).toBe(EXIT.usage);
    expect(bad.err.join('\n')).toContain('pgfo: --clusterr: unknown flag');
  });
});

describe('bench command line', () => {
  it('runs every section with the default counts', () => {
    expect(parseBenchArgs([])).toEqual({ command: 'bench', only: [], runs: 7, drillRuns: 5, drillConcurrency: 5, rows: [], partitionRuns: 10 });
  });

  it('reads sections and counts, and --render and --help', () => {
    expect(parseBenchArgs(['--only=overhead,drills', '--runs', '3', '--drill-runs=2'])).toMatchObject({ only: ['overhead', 'drills'], runs: 3, drillRuns: 2 });
    expect(parseBenchArgs(['--render']).command).toBe('render');
    expect(parseBenchArgs(['-h']).command).toBe('help');
  });

  it('reads --rows and --partition-runs', () => {
    expect(parseBenchArgs(['--rows', 'issue21,issue22', '--partition-runs=6'])).toMatchObject({ command: 'rows', rows: ['issue21', 'issue22'], partitionRuns: 6 });
    expect(parseBenchArgs(['--rows=issue22'])).toMatchObject({ command: 'rows', rows: ['issue22'], partitionRuns: 10 });
    expect(parseBenchArgs(['--rows=issue23'])).toMatchObject({ command: 'rows', rows: ['issue23'] });
  });

  it.each([
    [['--only', 'everything'], '--only: unknown section everything'],
    [['--runs', '0'], '--runs: a whole number of at least 1 (got 0)'],
    [['--runs=2.5'], '--runs: a whole number of at least 1 (got 2.5)'],
    [['--fast'], '--fast: unknown flag'],
    [['--rows', 'issue99'], '--rows: unknown row set issue99'],
    [['--rows=,'], '--rows: name at least one row set'],
    [['--rows', 'issue21', '--partition-runs', '0'], '--partition-runs: a whole number of at least 1 (got 0)'],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseBenchArgs(argv)).toThrow(UsageError);
    expect(() => parseBenchArgs(argv)).toThrow(message);
  });
});
