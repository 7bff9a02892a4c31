import { crossRegionGate, judgeWitness, type WitnessFacts, type WitnessVerdict } from '../../shared/decisions/witness';
import { chooseCandidate } from '../../shared/decisions/choose-candidate';
import { aPolicy, aSignal, aStandbyFacts } from '../fixtures/decisions';

const aWitnessLook = (database: boolean | null, ec2: boolean | null, overrides: Partial<WitnessFacts> = {}): WitnessFacts => ({
  region: 'us-east-2',
  node: 'primary',
  database: aSignal('database', database, { cause: database === false ? 'writable' : database ? 'refused' : 'unknown' }),
  ec2: aSignal('ec2', ec2, { cause: ec2 === false ? 'running' : ec2 ? 'instance-stopped' : 'api-error' }),
  ...overrides,
});

const verdict = (v: WitnessVerdict['verdict']): WitnessVerdict => ({ verdict: v, region: 'us-east-2', reason: `witness says ${v}` });

describe('judgeWitness: what the second vantage point saw', () => {
  it('agrees the writer is gone only when its database does not answer and EC2 says it is not running (or does not answer)', () => {
    expect(judgeWitness(aWitnessLook(true, true))).toMatchObject({ verdict: 'agrees-down', region: 'us-east-2' });
    expect(judgeWitness(aWitnessLook(true, true)).reason).toMatch(/^the witness in us-east-2 agrees primary is gone: database: refused .*EC2: instance-stopped/);
  });

  it('sees the writer alive when its database answers, whatever EC2 says', () => {
    expect(judgeWitness(aWitnessLook(false, true)).verdict).toBe('sees-alive');
    expect(judgeWitness(aWitnessLook(false, null)).verdict).toBe('sees-alive');
  });

  it('counts an instance EC2 reports running as alive although the witness cannot reach its database (fail-closed: the host may still write)', () => {
    const judged = judgeWitness(aWitnessLook(true, false));
    expect(judged.verdict).toBe('sees-alive');
    expect(judged.reason).toContain('running and healthy (it may still be writing)');
  });

  it('cannot tell when either view could not tell', () => {
    expect(judgeWitness(aWitnessLook(null, true)).verdict).toBe('unknown');
    expect(judgeWitness(aWitnessLook(true, null)).verdict).toBe('unknown');
  });

  it('is unknown when the witness could not be asked, with why', () => {
    expect(judgeWitness({ region: 'us-east-2', error: 'lambda:InvokeFunction failed: TimeoutError' })).toEqual({
      verdict: 'unknown',
      region: 'us-east-2',
      reason: 'the witness in us-east-2 could not be asked: lambda:InvokeFunction failed: TimeoutError',
    });
  });
});

describe('crossRegionGate: a promotion into another region needs the witness or an expired lease', () => {
  it('allows it when the witness agrees', () => {
    expect(crossRegionGate({ witness: verdict('agrees-down'), lease: 'unknown' })).toEqual({ allowed: true, reason: 'cross-region promotion allowed: witness says agrees-down' });
  });

  it('allows it when the writer lease expired, whatever the witness said', () => {
    expect(crossRegionGate({ witness: verdict('unknown'), lease: 'expired' }).allowed).toBe(true);
    expect(crossRegionGate({ witness: verdict('sees-alive'), lease: 'expired' }).allowed).toBe(true);
  });

  it.each([
    ['sees-alive', 'held', /the witness sees the writer alive and the writer's lease is held/],
    ['sees-alive', 'unknown', /the witness sees the writer alive and the writer's lease is unknown/],
    ['unknown', 'unknown', /the witness verdict is unknown and the writer's lease is unknown/],
    ['unknown', 'held', /the witness verdict is unknown and the writer's lease is held/],
  ] as const)('refuses it when the witness %s and the lease is %s, saying why', (witness, lease, reason) => {
    const gate = crossRegionGate({ witness: verdict(witness), lease });
    expect(gate.allowed).toBe(false);
    expect(gate.reason).toMatch(reason);
  });

  it('puts the gate\'s reason into the refusal of a cross-region candidate', () => {
    const gate = crossRegionGate({ witness: verdict('sees-alive'), lease: 'unknown' });
    const chosen = chooseCandidate(
      {
        failedPrimary: { node: 'primary', region: 'us-east-1' },
        standbys: [aStandbyFacts('standby_dr', { region: 'us-west-2' })],
        history: [],
        regionHealthy: false,
        crossRegionAllowed: gate.allowed,
        crossRegionRefusal: gate.reason,
        acceptDataLoss: false,
      },
      aPolicy(),
    );
    expect(chosen.promote).toBe(false);
    expect(chosen.reasons.join('; ')).toContain('standby_dr is in another region (us-west-2): no cross-region promotion: the witness sees the writer alive');
  });
});
