import { legProblems, lossOf, rolesOf, sequenceNamed, sequenceProblems, type LegExpectation, type LegObserved } from '../../drill/legs';
import { parseArgs } from '../../drill/options';
import { sumRpo } from '../../drill/report';
import type { DrillLeg, ObservedNode } from '../../drill/drill-report';
import type { EndState } from '../../drill/verify';
import { aConfig } from '../fixtures/config';

const cluster = aConfig().clusters[0]!;
const node = (name: string) => cluster.nodes.find((n) => n.name === name)!;

const seen = (name: string, observed: ObservedNode['observed'], timeline: number | null, upstream: string | null = null, instanceState = 'running'): ObservedNode => ({
  name,
  configuredRole: node(name).role,
  observed,
  instanceState,
  timeline,
  upstream,
});

const stateOf = (nodes: ObservedNode[]): EndState => ({
  nodes,
  writers: nodes.filter((n) => n.observed === 'writable').map((n) => n.name),
  dns: { record: cluster.route53.recordName, target: null },
  ssm: [],
  oldPrimaryFenced: false,
  oldPrimaryDown: false,
});

/** After the first failover of second-failover: standby_az2 writes, the DR follows it, the primary is down. */
const afterFirst = stateOf([seen('primary', 'down', null, null, 'stopped'), seen('standby_az2', 'writable', 2), seen('standby_dr', 'standby', 2, 'standby_az2')]);

describe('drill legs: roles found by observation', () => {
  it('takes the one writable node as the writer, standbys by the node they stream from and their region', () => {
    const roles = rolesOf(cluster, afterFirst, 'standby_az2');
    expect(roles.writer.name).toBe('standby_az2');
    expect(roles.local).toBeUndefined(); // the primary is down: no in-region standby
    expect(roles.remote?.name).toBe('standby_dr');
    expect(roles.detached).toEqual([]);
    expect(roles.timeline).toBe(2);
    expect(roles.home.name).toBe('primary');
  });

  it('counts a running node that does not stream from the writer as one to rejoin', () => {
    const returned = stateOf([seen('primary', 'standby', 1), seen('standby_az2', 'standby', 1, 'primary'), seen('standby_dr', 'writable', 2)]);
    expect(rolesOf(cluster, returned, 'standby_dr').detached.map((n) => n.name)).toEqual(['primary', 'standby_az2']);
  });

  it('refuses to act on contradictions: no writer, two writers, or a writer the record does not name', () => {
    expect(() => rolesOf(cluster, stateOf([seen('primary', 'down', null), seen('standby_az2', 'standby', 1), seen('standby_dr', 'standby', 1)]), 'primary')).toThrow('none takes writes');
    expect(() => rolesOf(cluster, stateOf([seen('primary', 'writable', 1), seen('standby_az2', 'writable', 2), seen('standby_dr', 'standby', 2)]), 'primary')).toThrow(
      'primary and standby_az2 take writes',
    );
    expect(() => rolesOf(cluster, afterFirst, 'primary')).toThrow('the cluster record names primary the writer, but standby_az2 is the node that takes writes');
  });
});

describe('drill legs: the sequences', () => {
  it('second-failover: two crashes found by role, the second one promoting the DR within the receipt’s bound and fencing the failed writer', () => {
    const sequence = sequenceNamed('second-failover');
    expect(sequence.legs.map((l) => [l.name, l.alarmDriven])).toEqual([
      ['primary crash', true],
      ['new writer’s host dies', true],
    ]);
    const first = rolesOf(cluster, stateOf([seen('primary', 'writable', 1), seen('standby_az2', 'standby', 1, 'primary'), seen('standby_dr', 'standby', 1, 'primary')]), 'primary');
    expect(sequence.legs[0]!.expect(first)).toMatchObject({ writer: 'standby_az2', loss: 'none', fenced: 'primary' });
    expect(sequence.legs[1]!.expect(rolesOf(cluster, afterFirst, 'standby_az2'))).toMatchObject({ writer: 'standby_dr', loss: 'bounded', fenced: 'standby_az2' });
  });

  it('round-trip: region outage, the region back, rejoin, switchover home, primary crash', () => {
    const sequence = sequenceNamed('round-trip');
    expect(sequence.legs.map((l) => [l.name, l.alarmDriven])).toEqual([
      ['region outage', true],
      ['region returns', false],
      ['rejoin', false],
      ['switchover home', false],
      ['primary crash', true],
    ]);
    const rejoined = rolesOf(cluster, stateOf([seen('primary', 'standby', 2, 'standby_dr'), seen('standby_az2', 'standby', 2, 'standby_dr'), seen('standby_dr', 'writable', 2)]), 'standby_dr');
    expect(sequence.legs[3]!.expect(rejoined)).toMatchObject({ writer: 'primary', loss: 'none', fenced: null });
    const home = rolesOf(cluster, stateOf([seen('primary', 'writable', 3), seen('standby_az2', 'standby', 3, 'primary'), seen('standby_dr', 'standby', 3, 'primary')]), 'primary');
    expect(sequence.legs[4]!.expect(home)).toMatchObject({ writer: 'standby_az2', loss: 'none', fenced: 'primary' });
  });

  it('stops rather than test something else: the last crash of round-trip needs an in-region standby following the writer', () => {
    // standby_az2 still follows the former writer: promoting the DR instead would not be the in-region failover.
    const leftBehind = rolesOf(cluster, stateOf([seen('primary', 'writable', 3), seen('standby_az2', 'standby', 2, 'standby_dr'), seen('standby_dr', 'standby', 3, 'primary')]), 'primary');
    expect(() => sequenceNamed('round-trip').legs[4]!.expect(leftBehind)).toThrow('primary crash: the cluster has no standby streaming from the writer in its region (primary, us-east-1)');
  });

  it('is chosen on the command line like any scenario', () => {
    expect(parseArgs(['--scenario', 'round-trip']).scenario).toBe('round-trip');
    expect(parseArgs(['--scenario', 'second-failover']).scenario).toBe('second-failover');
  });
});

describe('drill legs: checks', () => {
  const expected: LegExpectation = { writer: 'standby_dr', loss: 'bounded', fenced: 'standby_az2', description: 'DR promoted' };
  const dr = node('standby_dr');
  const good: LegObserved = {
    writers: ['standby_dr'],
    dnsTarget: dr.dnsName,
    ssm: [{ name: '/orders/prod/DATABASE_URL', region: 'us-west-2', host: dr.host, port: dr.port }],
    loss: { acked: 500, lost: 3, holes: 0 },
    payloadBytes: 1000,
    receiptBoundBytes: 40_000,
    fencing: { node: 'standby_az2', fenced: true },
    nodes: [seen('primary', 'down', null, null, 'stopped'), seen('standby_az2', 'down', null, null, 'stopped'), seen('standby_dr', 'writable', 3)],
    writerBefore: 'standby_az2',
    timelineBefore: 2,
    timelineAfter: 3,
    appRecovered: true,
    actionProblems: [],
  };

  it('passes a leg whose outcome is the expected one', () => {
    expect(legProblems(expected, good, cluster.nodes)).toEqual([]);
  });

  it('holds the loss of an asynchronous promotion to the receipt’s bound, and finds rows missing before the last one kept', () => {
    expect(legProblems(expected, { ...good, loss: { acked: 500, lost: 50, holes: 0 } }, cluster.nodes)).toEqual([
      '50 acknowledged row(s) lost (at least 49 kB of payload), more than the receipt\'s bound of 39 kB',
    ]);
    expect(legProblems(expected, { ...good, loss: { acked: 500, lost: 3, holes: 2 } }, cluster.nodes)).toEqual([
      '2 acknowledged row(s) missing on standby_dr before the last one it holds: it lost rows it had received',
    ]);
    expect(legProblems({ ...expected, loss: 'none' }, good, cluster.nodes)).toEqual(['3 of 500 acknowledged row(s) lost where none may be']);
    expect(legProblems(expected, { ...good, loss: null }, cluster.nodes)).toEqual(["the leg's acknowledged rows could not be counted on standby_dr"]);
  });

  it('wants the failed writer fenced, not another node', () => {
    const problems = legProblems(expected, { ...good, fencing: { node: 'primary', fenced: true } }, cluster.nodes);
    expect(problems).toEqual(['expected the workflow to fence standby_az2; its receipt says primary fenced']);
  });

  it('names a second writer, traffic left behind, a timeline that did not increase and an application that never came back', () => {
    const problems = legProblems(
      expected,
      {
        ...good,
        writers: ['standby_az2', 'standby_dr'],
        dnsTarget: node('standby_az2').dnsName,
        ssm: [{ name: '/orders/prod/DATABASE_URL', region: 'us-west-2', host: '127.0.0.1', port: 1 }],
        timelineAfter: 2,
        appRecovered: false,
      },
      cluster.nodes,
    );
    expect(problems).toEqual([
      'expected standby_dr to be the one writer; standby_az2 and standby_dr take(s) writes',
      `DNS points at ${node('standby_az2').dnsName}, expected ${dr.dnsName}`,
      `DATABASE_URL /orders/prod/DATABASE_URL in us-west-2 points at 127.0.0.1:1, expected standby_dr (${dr.host}:${dr.port})`,
      'timeline 2 → 2: expected a higher one after the writer moved',
      'the application did not write again through DATABASE_URL',
    ]);
  });

  it('counts lost rows and the holes before the last row kept', () => {
    expect(lossOf([1, 2, 3, 4, 5], new Set([1, 2, 3]))).toEqual({ acked: 5, lost: 2, holes: 0 });
    expect(lossOf([1, 2, 3, 4, 5], new Set([1, 3, 5]))).toEqual({ acked: 5, lost: 2, holes: 2 });
    expect(lossOf([1, 2], new Set())).toEqual({ acked: 2, lost: 2, holes: 0 });
  });

  it('counts the rows of a long leg (600,000 acknowledged: more than a spread into Math.max takes)', () => {
    const acked = Array.from({ length: 600_000 }, (_, i) => i + 1);
    expect(lossOf(acked, new Set(acked.slice(0, 599_990)))).toEqual({ acked: 600_000, lost: 10, holes: 0 });
  });

  it('checks the whole run: one writer per probe round, rows kept after their leg, the configuration untouched, one execution per fault', () => {
    const base = { rounds: [{ at: 1000, writable: ['primary'] }], startedAt: 0, rows: [{ leg: 'a', lostAtLeg: 0, lostAtEnd: 0 }], configChanged: false, executions: 2, alarmDrivenLegs: 2 };
    expect(sequenceProblems(base)).toEqual([]);
    expect(
      sequenceProblems({
        ...base,
        rounds: [{ at: 2500, writable: ['primary', 'standby_dr'] }],
        rows: [{ leg: 'a', lostAtLeg: 1, lostAtEnd: 4 }],
        configChanged: true,
        executions: 3,
      }),
    ).toEqual([
      'split brain: 1 probe round(s) found more than one writer, the first at 2.5 s: primary and standby_dr',
      '3 row(s) acknowledged in leg "a" that survived it are missing at the end',
      'the configuration file changed during the drill: every leg must run on the configuration it started with',
      '3 failover execution(s) ran; the sequence has 2 fault(s) for the alarm',
    ]);
  });

  it('sums the legs’ rows and receipt estimates for the report’s top-level RPO', () => {
    const leg = (lost: number | null, rows: number, bound: number | null) => ({ rpo: { ackedRowsLost: lost, ackedRows: rows, receiptBytes: bound, receiptSeconds: null, receiptUpperBoundBytes: bound } }) as DrillLeg;
    expect(sumRpo([leg(0, 100, 10), leg(3, 50, null)])).toEqual({ ackedRowsLost: 3, ackedRows: 150, receiptBytes: 10, receiptSeconds: null, receiptUpperBoundBytes: 10 });
    expect(sumRpo([leg(0, 100, null), leg(null, 50, null)]).ackedRowsLost).toBeNull();
  });
});
