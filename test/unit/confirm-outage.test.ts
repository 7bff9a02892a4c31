import { judgeOutage } from '../../shared/decisions/confirm-outage';
import { aPolicy, aSignal, signalsSaying } from '../fixtures/decisions';

describe('judgeOutage: is the primary really gone?', () => {
  it('lets a primary that answers the database probe veto a failover, however many other signals say down', () => {
    const verdict = judgeOutage(signalsSaying({ database: false }), 2, aPolicy({ requiredSignals: 3 }));
    expect(verdict).toMatchObject({ decision: 'not-confirmed', attempt: 2 });
    expect(verdict.reason).toBe('primary answers the database probe: no failover (database says up)');
  });

  it('does not count a signal that could not tell as down', () => {
    const verdict = judgeOutage(signalsSaying({ database: null, standbys: null }), 2, aPolicy({ requiredSignals: 3 }));
    expect(verdict.decision).toBe('not-confirmed');
    expect(verdict.reason).toBe(
      'only 2 of 4 signals say the primary is down (policy needs 3): ' +
        'ec2: down (ec2 says down); database: unknown (database could not check); standbys: unknown (standbys could not check); metrics: down (metrics says down)',
    );
  });

  it('never confirms an outage when no signal could tell', () => {
    const verdict = judgeOutage(signalsSaying({ ec2: null, database: null, standbys: null, metrics: null }), 5, aPolicy({ requiredSignals: 1, rechecks: 0 }));
    expect(verdict.decision).toBe('not-confirmed');
    expect(verdict.reason).toContain('only 0 of 4 signals say the primary is down (policy needs 1)');
  });

  it('names a signal that says up as up in the reason', () => {
    const verdict = judgeOutage(signalsSaying({ ec2: false, metrics: false }), 1, aPolicy({ requiredSignals: 3 }));
    expect(verdict.decision).toBe('not-confirmed');
    expect(verdict.reason).toContain('only 2 of 4 signals say the primary is down');
    expect(verdict.reason).toContain('ec2: up (ec2 says up)');
  });

  it('re-checks while enough signals say down but fewer checks than the policy asks have been made', () => {
    const verdict = judgeOutage(signalsSaying({ metrics: null }), 1, aPolicy({ requiredSignals: 3, rechecks: 2 }));
    expect(verdict.decision).toBe('recheck');
    expect(verdict.reason).toBe(
      '3 of 4 signals say the primary is down: ' +
        'ec2: down (ec2 says down); database: down (database says down); standbys: down (standbys says down); metrics: unknown (metrics could not check)' +
        '; re-checking (1 of 3 consecutive checks)',
    );
    expect(judgeOutage(signalsSaying(), 2, aPolicy({ rechecks: 2 })).reason).toMatch(/; re-checking \(2 of 3 consecutive checks\)$/);
  });

  it('confirms on the check after the last re-check, saying how many consecutive checks agreed', () => {
    const verdict = judgeOutage(signalsSaying(), 3, aPolicy({ requiredSignals: 3, rechecks: 2 }));
    expect(verdict.decision).toBe('confirmed');
    expect(verdict.reason).toMatch(/^outage confirmed on 3 consecutive checks: 4 of 4 signals say the primary is down: ec2: down/);
  });

  it('confirms on the first check when the policy asks for no re-check', () => {
    expect(judgeOutage(signalsSaying(), 1, aPolicy({ rechecks: 0 })).decision).toBe('confirmed');
  });

  it('confirms with exactly the required number of signals down', () => {
    expect(judgeOutage(signalsSaying({ standbys: null }), 2, aPolicy({ requiredSignals: 3, rechecks: 1 })).decision).toBe('confirmed');
    expect(judgeOutage(signalsSaying({ standbys: null, metrics: null }), 2, aPolicy({ requiredSignals: 3, rechecks: 1 })).decision).toBe('not-confirmed');
  });

  it('reports the region unhealthy when the EC2 signal found its API unreachable, healthy otherwise', () => {
    const regionOut = [aSignal('ec2', true, { regionUnreachable: true }), aSignal('database', true), aSignal('standbys', true), aSignal('metrics', true)];
    expect(judgeOutage(regionOut, 2, aPolicy()).regionHealthy).toBe(false);
    expect(judgeOutage(signalsSaying(), 2, aPolicy()).regionHealthy).toBe(true);
    expect(judgeOutage([aSignal('ec2', true, { regionUnreachable: false }), ...signalsSaying().slice(1)], 2, aPolicy()).regionHealthy).toBe(true);
  });

  it('returns the signals it judged and the attempt with every verdict', () => {
    const signals = signalsSaying({ database: false });
    expect(judgeOutage(signals, 4, aPolicy())).toMatchObject({ signals, attempt: 4 });
  });
});
