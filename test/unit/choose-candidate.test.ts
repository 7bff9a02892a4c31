import { chooseCandidate, type CandidateFacts } from '../../shared/decisions/choose-candidate';
import { aPolicy, aStandbyFacts } from '../fixtures/decisions';

const MB = 1024 * 1024;
// The writer wrote 10 MB/s, observed at t=0..3 s, up to 130 MB.
const history = [0, 1, 2, 3].map((s) => ({ at: s * 1000, lsn: 100 * MB + s * 10 * MB }));
const policy = aPolicy({ maxLagBytes: 16 * MB, maxLagSeconds: 30 });

const facts = (overrides: Partial<CandidateFacts> = {}): CandidateFacts => ({
  failedPrimary: { node: 'primary', region: 'us-east-1' },
  standbys: [
    aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', receiveLsn: 130 * MB }),
    aStandbyFacts('standby_dr', { region: 'us-west-2', receiveLsn: 128 * MB }),
  ],
  history,
  regionHealthy: true,
  acceptDataLoss: false,
  ...overrides,
});

describe('chooseCandidate: which standby to promote, or why none', () => {
  it('says why when the cluster has no standby', () => {
    expect(chooseCandidate(facts({ standbys: [] }), policy)).toEqual({
      promote: false,
      reason: 'the cluster has no standby',
      reasons: ['the cluster has no standby'],
    });
  });

  it('refuses a requested node the cluster does not have, naming it', () => {
    expect(chooseCandidate(facts({ requestedNode: 'standby_eu' }), policy)).toMatchObject({ promote: false, reason: 'no standby named standby_eu' });
  });

  it('promotes only the requested node, even when another is preferred', () => {
    const verdict = chooseCandidate(facts({ requestedNode: 'standby_dr', regionHealthy: true }), policy);
    expect(verdict).toMatchObject({ promote: true, node: 'standby_dr', alreadyPrimary: false });
  });

  it('states the preference in the reasons: in-region synchronous while the region answers, another region when it is out', () => {
    expect(chooseCandidate(facts({ regionHealthy: true }), policy).reasons[0]).toBe('region us-east-1 answers: in-region synchronous standby preferred');
    expect(chooseCandidate(facts({ regionHealthy: false }), policy).reasons[0]).toBe('region us-east-1 is out: a standby in another region preferred');
  });

  it('prefers the synchronous standby over an asynchronous one in the same region', () => {
    const standbys = [
      aStandbyFacts('standby_az3', { region: 'us-east-1', role: 'async-standby', receiveLsn: 130 * MB }),
      aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', receiveLsn: 130 * MB }),
    ];
    expect(chooseCandidate(facts({ standbys }), policy)).toMatchObject({ promote: true, node: 'standby_az2' });
  });

  it('passes over a standby that does not answer, saying why, and takes the next', () => {
    const standbys = [
      aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', reachable: false, reason: 'connect ETIMEDOUT' }),
      aStandbyFacts('standby_dr', { receiveLsn: 128 * MB }),
    ];
    const verdict = chooseCandidate(facts({ standbys }), policy);
    expect(verdict).toMatchObject({ promote: true, node: 'standby_dr' });
    expect(verdict.reasons).toContain('standby_az2 does not answer (connect ETIMEDOUT)');
  });

  it('says "unreachable" for a standby that does not answer and gave no reason', () => {
    const verdict = chooseCandidate(facts({ standbys: [aStandbyFacts('standby_dr', { reachable: false })] }), policy);
    expect(verdict).toMatchObject({ promote: false, reason: 'no standby may be promoted: standby_dr does not answer (unreachable)' });
  });

  it('refuses a standby behind by more seconds than the cap even when its bytes are under the cap', () => {
    // A slow writer: 4 MB in 60 s. The candidate misses the last 3 MB, 45 s of writes.
    const slow = [{ at: 0, lsn: 100 * MB }, { at: 60_000, lsn: 104 * MB }];
    const verdict = chooseCandidate(facts({ history: slow, standbys: [aStandbyFacts('standby_dr', { receiveLsn: 101 * MB })] }), policy);
    expect(verdict).toMatchObject({ promote: false, reason: 'no standby may be promoted: standby_dr is 45.0 s behind (cap 30 s)' });
  });

  it('joins every refusal into the reason when no standby may be promoted', () => {
    const standbys = [
      aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', reachable: false, reason: 'connect ECONNREFUSED' }),
      aStandbyFacts('standby_dr', { receiveLsn: 100 * MB }),
    ];
    const verdict = chooseCandidate(facts({ standbys }), policy);
    expect(verdict).toEqual({
      promote: false,
      reason: 'no standby may be promoted: standby_az2 does not answer (connect ECONNREFUSED); standby_dr is 30 MB behind (cap 16 MB)',
      reasons: [
        'region us-east-1 answers: in-region synchronous standby preferred',
        'standby_az2 does not answer (connect ECONNREFUSED)',
        'standby_dr is 30 MB behind (cap 16 MB)',
      ],
    });
  });

  it('says how far behind the chosen node is, and "unknown seconds" without a writer history', () => {
    expect(chooseCandidate(facts({ standbys: [aStandbyFacts('standby_dr', { receiveLsn: 125 * MB })] }), policy).reasons.at(-1)).toBe(
      'standby_dr chosen: 5.0 MB / 0.5 s behind',
    );
    const ahead = aStandbyFacts('standby_az2', { region: 'us-east-1', receiveLsn: 105 * MB });
    const verdict = chooseCandidate(facts({ history: [], regionHealthy: false, standbys: [aStandbyFacts('standby_dr', { receiveLsn: 100 * MB }), ahead] }), policy);
    expect(verdict.reasons.at(-1)).toBe('standby_dr chosen: 5.0 MB / unknown seconds behind');
  });

  it('converges on a standby a previous run already promoted instead of promoting another', () => {
    const standbys = [
      aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', receiveLsn: 130 * MB }),
      aStandbyFacts('standby_dr', { inRecovery: false, receiveLsn: null, replayLsn: null }),
    ];
    const verdict = chooseCandidate(facts({ standbys }), policy);
    expect(verdict).toMatchObject({ promote: true, node: 'standby_dr', alreadyPrimary: true });
    expect(verdict.reasons[0]).toBe('standby_dr is already writable (promoted earlier): converging on it');
  });

  it('does not take the failed primary answering as writable for an earlier promotion', () => {
    const standbys = [aStandbyFacts('primary', { region: 'us-east-1', inRecovery: false }), aStandbyFacts('standby_dr', { receiveLsn: 128 * MB })];
    expect(chooseCandidate(facts({ standbys }), policy)).toMatchObject({ promote: true, node: 'standby_dr', alreadyPrimary: false });
  });

  it('does not converge on an already-writable node other than the one requested', () => {
    const standbys = [aStandbyFacts('standby_az2', { region: 'us-east-1', inRecovery: false }), aStandbyFacts('standby_dr', { receiveLsn: 128 * MB })];
    expect(chooseCandidate(facts({ standbys, requestedNode: 'standby_dr' }), policy)).toMatchObject({ promote: true, node: 'standby_dr', alreadyPrimary: false });
  });
});

describe('chooseCandidate: a standby off the failed writer\'s history is never compared by position alone', () => {
  // standby_dr still streams from an old writer on timeline 1 and holds WAL well past everyone (that
  // writer kept writing after the record moved on): its position is of another history.
  const stray = aStandbyFacts('standby_dr', { receiveLsn: 400 * MB, follows: false, followReason: 'standby_dr streams from primary_old, not from primary' });
  const sync = aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', receiveLsn: 129 * MB, follows: true });

  it('refuses a standby that follows another writer whatever its position, and says why', () => {
    const verdict = chooseCandidate(facts({ standbys: [aStandbyFacts('standby_az2', { region: 'us-east-1', reachable: false, follows: false }), stray], regionHealthy: false }), policy);
    expect(verdict).toMatchObject({ promote: false });
    expect(verdict.reasons.join()).toMatch(/standby_dr streams from primary_old, not from primary \(.+\): not a candidate/);
  });

  it('does not measure the followers against the stray standby\'s position', () => {
    const verdict = chooseCandidate(facts({ standbys: [sync, stray] }), policy);
    // 1 MB behind the writer's history (130 MB), not 271 MB behind the stray standby's 400 MB.
    expect(verdict).toMatchObject({ promote: true, node: 'standby_az2', lag: { bytes: 1 * MB, referenceLsn: 130 * MB } });
  });

  it('with data loss accepted, prefers any follower to a stray standby, even one in a preferred place', () => {
    const dr = aStandbyFacts('standby_dr', { region: 'us-west-2', receiveLsn: 100 * MB, follows: true });
    const strayInRegion = aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', receiveLsn: 500 * MB, follows: false, followReason: 'standby_az2 is on timeline 1, primary on timeline 2' });
    expect(chooseCandidate(facts({ standbys: [strayInRegion, dr], acceptDataLoss: true }), policy)).toMatchObject({ promote: true, node: 'standby_dr' });
  });

  it('with data loss accepted and no follower, promotes the stray standby only with the reason that its loss is not measured', () => {
    const verdict = chooseCandidate(facts({ standbys: [stray], acceptDataLoss: true }), policy);
    expect(verdict).toMatchObject({ promote: true, node: 'standby_dr', lag: { basis: 'not comparable: standby_dr streams from primary_old, not from primary' } });
    expect(verdict.reasons.at(-1)).toMatch(/chosen with data loss accepted by the operator, although standby_dr streams from primary_old, not from primary: .* the loss is not measured/);
  });
});

describe('chooseCandidate: the recorded synchronous standby and acknowledged commits', () => {
  const since = '2026-12-06T07:00:00.000Z';
  const detailOf = (verdict: ReturnType<typeof chooseCandidate>) => (verdict.promote ? verdict.acknowledged : undefined);

  it('promotes the recorded synchronous standby as zero-loss, and says so', () => {
    const verdict = chooseCandidate(facts({ synchronous: { node: 'standby_az2', since } }), policy);
    expect(verdict).toMatchObject({ promote: true, node: 'standby_az2' });
    expect(detailOf(verdict)).toEqual({ zeroLoss: true, detail: `standby_az2 was primary's synchronous standby (recorded since ${since}): it holds every commit primary acknowledged` });
    expect(verdict.reasons).toContain(detailOf(verdict)!.detail);
  });

  it('prefers the recorded synchronous standby over the configured one', () => {
    const standbys = [
      aStandbyFacts('standby_az2', { region: 'us-east-1', role: 'sync-standby', receiveLsn: 130 * MB }),
      aStandbyFacts('az3', { region: 'us-east-1', receiveLsn: 130 * MB }),
      aStandbyFacts('standby_dr', { region: 'us-west-2', receiveLsn: 128 * MB }),
    ];
    expect(chooseCandidate(facts({ standbys, synchronous: { node: 'az3', since } }), policy)).toMatchObject({ promote: true, node: 'az3', acknowledged: { zeroLoss: true } });
  });

  it('another candidate is a data-loss failover, held to the lag guard and said so', () => {
    const verdict = chooseCandidate(facts({ regionHealthy: false, synchronous: { node: 'standby_az2', since } }), policy);
    expect(verdict).toMatchObject({ promote: true, node: 'standby_dr', acknowledged: { zeroLoss: false } });
    expect(detailOf(verdict)!.detail).toBe(`standby_dr is not the synchronous standby (standby_az2 is, since ${since}): a data-loss failover (held to the lag guard); commits primary acknowledged may be lost`);
    // Held to the guard: too far behind, refused.
    const behind = facts({ regionHealthy: false, synchronous: { node: 'standby_az2', since }, standbys: [aStandbyFacts('standby_dr', { region: 'us-west-2', receiveLsn: 100 * MB })] });
    expect(chooseCandidate(behind, policy)).toMatchObject({ promote: false });
  });

  it('with the synchronous standby dropped (recorded none), says since when acknowledged commits may be lost', () => {
    const verdict = chooseCandidate(facts({ synchronous: { node: null, since } }), policy);
    expect(detailOf(verdict)).toEqual({ zeroLoss: false, detail: `primary had no synchronous standby since ${since}: promoting standby_az2 may lose what primary acknowledged since then` });
  });

  it('without a record, claims nothing', () => {
    expect(detailOf(chooseCandidate(facts(), policy))).toMatchObject({ zeroLoss: false, detail: expect.stringMatching(/is not recorded: promoting standby_az2 can lose commits primary acknowledged/) });
  });
});
