import { judgeFence, type FenceFacts } from '../../shared/decisions/fence';

const facts = (over: Partial<FenceFacts> = {}): FenceFacts => ({
  node: 'primary',
  instanceId: 'i-0123456789abcdef0',
  region: 'us-east-1',
  lastSeenState: null,
  refusal: null,
  unreachable: null,
  tagged: true,
  tagProblem: null,
  waitedMs: 0,
  ...over,
});

describe('judgeFence', () => {
  it('proceeds fenced once the instance is seen stopped, in every mode', () => {
    for (const mode of ['always', 'unless-region-unreachable', 'never'] as const) {
      expect(judgeFence(facts({ lastSeenState: 'stopped' }), mode)).toMatchObject({ fenced: true, proceed: true });
    }
  });

  it('does not count "stopping" as fenced: the guest may still take writes', () => {
    const verdict = judgeFence(facts({ lastSeenState: 'stopping', waitedMs: 120_000 }), 'unless-region-unreachable');
    expect(verdict).toMatchObject({ fenced: false, proceed: false });
    expect(verdict.reason).toMatch(/instance still stopping after 120 s/);
  });

  it('refuses when EC2 answers and refuses the stop (permission, SCP, endless throttle), unless the policy is "never"', () => {
    const refused = facts({ refusal: 'ec2:StopInstances failed: UnauthorizedOperation: not authorized' });
    expect(judgeFence(refused, 'unless-region-unreachable')).toMatchObject({ fenced: false, proceed: false, reason: expect.stringMatching(/EC2 refused: .*UnauthorizedOperation.*a person must decide/) });
    expect(judgeFence(refused, 'always')).toMatchObject({ proceed: false });
    expect(judgeFence(refused, 'never')).toMatchObject({ fenced: false, proceed: true, reason: expect.stringMatching(/requireFencing: never/) });
  });

  it('proceeds unfenced on an unreachable regional API only under "unless-region-unreachable"', () => {
    const unreachable = facts({ unreachable: 'connect ECONNREFUSED' });
    expect(judgeFence(unreachable, 'unless-region-unreachable')).toMatchObject({ fenced: false, proceed: true, reason: expect.stringMatching(/its region's API is unreachable/) });
    expect(judgeFence(unreachable, 'always')).toMatchObject({ proceed: false });
  });

  it('never reads an unreachable API as a region out once the instance was seen running or stopping', () => {
    for (const state of ['running', 'stopping', 'pending']) {
      expect(judgeFence(facts({ unreachable: 'socket hang up', lastSeenState: state }), 'unless-region-unreachable')).toMatchObject({ proceed: false });
    }
  });

  it('proceeds on an operator override and names who accepted it', () => {
    const verdict = judgeFence(facts({ refusal: 'AccessDenied' }), 'always', { acceptedBy: 'alice' });
    expect(verdict).toMatchObject({ fenced: false, proceed: true, reason: expect.stringMatching(/accepted by alice$/) });
  });

  it('reports a tag that could not be written without holding back a proven fence', () => {
    const verdict = judgeFence(facts({ lastSeenState: 'stopped', tagged: false, tagProblem: 'AccessDenied' }), 'always');
    expect(verdict).toMatchObject({ fenced: true, proceed: true, reason: expect.stringMatching(/tag not written: AccessDenied/) });
  });

  it('accepts an unreachable regional API under every mode once the old writer fenced itself (its lease expired), never a refusal or a running instance', () => {
    const unreachable = facts({ unreachable: 'connect ETIMEDOUT' });
    expect(judgeFence(unreachable, 'always')).toMatchObject({ proceed: false });
    expect(judgeFence(unreachable, 'always', null, 'writer lease expired: counter 7 for 10 s')).toMatchObject({
      fenced: false,
      proceed: true,
      reason: expect.stringMatching(/proceeding unfenced: the old writer fenced itself \(writer lease expired/),
    });
    expect(judgeFence(facts({ refusal: 'UnauthorizedOperation' }), 'always', null, 'writer lease expired')).toMatchObject({ proceed: false });
    expect(judgeFence(facts({ lastSeenState: 'running', waitedMs: 1000 }), 'always', null, 'writer lease expired')).toMatchObject({ proceed: false });
  });
});
