import { describePause, recordCompletion, recordIntent, recordPromotion } from '../../shared/decisions/cluster-record';
import { divergence, synchronousStandbyNamesFor } from '../../shared/decisions/followers';
import { decideWriter, failedWriterOf, followersOf } from '../../shared/decisions/topology';
import { chooseCandidate } from '../../shared/decisions/choose-candidate';
import { conninfoTarget, parseConninfo, retargetConninfo } from '../../shared/postgres/conninfo';
import type { StandbyFacts } from '../../shared/decisions/types';
import { aReadOnlyNode, aRecord, aStandbyNode, aWriterNode, anUnreachableNode } from '../fixtures/topology';

const AT = '2026-12-01T01:00:00.000Z';

describe('who the writer is (record + observations)', () => {
  it('is the one node observed writable when the record agrees, with its followers', () => {
    const verdict = decideWriter(aRecord({ timeline: 1 }), [aWriterNode('primary'), aStandbyNode('standby_az2', 'primary'), aStandbyNode('standby_dr', 'primary')]);
    expect(verdict).toMatchObject({ known: true, writer: 'primary', timeline: 1, observed: true });
    expect(verdict.known && verdict.followers.map((f) => [f.node, f.following])).toEqual([['standby_az2', true], ['standby_dr', true]]);
  });

  it("is the record's writer when no node answers as writable, not the configured primary", () => {
    const record = aRecord({ writer: 'standby_az2', timeline: 2, fenced: { primary: { reason: 'instance stopped', confirmed: true, at: AT, by: 'x' } } });
    const verdict = decideWriter(record, [anUnreachableNode('primary'), anUnreachableNode('standby_az2'), aStandbyNode('standby_dr', 'standby_az2', { timeline: 2, streaming: false })]);
    expect(verdict).toMatchObject({ known: true, writer: 'standby_az2', timeline: 2, observed: false });
    expect(verdict.known && verdict.notes.join()).toMatch(/no node answers as writable: the writer is the record's standby_az2/);
  });

  it('refuses two writers, naming both with their timelines', () => {
    const verdict = decideWriter(aRecord({ writer: 'standby_az2', timeline: 2 }), [aWriterNode('primary', { timeline: 1 }), aWriterNode('standby_az2', { timeline: 2 }), aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 })]);
    expect(verdict.known).toBe(false);
    expect(!verdict.known && verdict.reason).toMatch(/two writers: primary on timeline 1 and standby_az2 on timeline 2/);
  });

  it('refuses a writer the record fenced', () => {
    const record = aRecord({ writer: 'standby_az2', timeline: 2, fenced: { primary: { reason: 'primary fenced: instance i-1 is stopped', confirmed: true, at: AT, by: 'x' } } });
    const verdict = decideWriter(record, [aWriterNode('primary', { timeline: 1 }), anUnreachableNode('standby_az2'), aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 })]);
    expect(!verdict.known && verdict.contradictions).toEqual([
      expect.stringMatching(/primary accepts writes but the record fenced it .*instance i-1 is stopped/),
      expect.stringMatching(/primary accepts writes on timeline 1, but the record's writer is standby_az2 on timeline 2/),
    ]);
  });

  it('refuses a standby on a newer timeline than the writer (promoted outside the control plane)', () => {
    const verdict = decideWriter(aRecord({ timeline: 1 }), [anUnreachableNode('primary'), aStandbyNode('standby_az2', null, { timeline: 1 }), aStandbyNode('standby_dr', null, { timeline: 2 })]);
    expect(!verdict.known && verdict.reason).toMatch(/standby_dr is on timeline 2, ahead of the writer primary on timeline 1/);
  });

  it('does not count a read-only former primary as a writer', () => {
    const record = aRecord({ writer: 'standby_az2', timeline: 2 });
    const verdict = decideWriter(record, [aReadOnlyNode('primary', { timeline: 1 }), aWriterNode('standby_az2', { timeline: 2 }), aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 })]);
    expect(verdict).toMatchObject({ known: true, writer: 'standby_az2', roles: { primary: 'read-only', standby_az2: 'writer', standby_dr: 'standby' } });
    expect(verdict.known && verdict.followers[0]).toMatchObject({ node: 'primary', following: false, reason: 'primary is a read-only former primary, not a standby' });
  });

  it('lets the observed writer override a freshly seeded record (no timeline yet), and says so', () => {
    const verdict = decideWriter(aRecord(), [aReadOnlyNode('primary'), aWriterNode('standby_az2', { timeline: 2 }), aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 })]);
    expect(verdict).toMatchObject({ known: true, writer: 'standby_az2', timeline: 2 });
    expect(verdict.known && verdict.notes.join()).toMatch(/seeded from the configuration \(primary\); standby_az2 is the node observed writable/);
  });

  it('accepts a writer on a newer timeline than the record (the record is behind) and says so', () => {
    const verdict = decideWriter(aRecord({ timeline: 1 }), [anUnreachableNode('primary'), aWriterNode('standby_az2', { timeline: 2 }), aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 })]);
    expect(verdict).toMatchObject({ known: true, writer: 'standby_az2' });
    expect(verdict.known && verdict.notes.join()).toMatch(/the record is behind/);
  });
});

describe('followers of a writer', () => {
  const record = aRecord({ writer: 'standby_az2', timeline: 2 });

  it('are the standbys streaming from it (or from an unnamed address) on its timeline', () => {
    const followers = followersOf(record, [aStandbyNode('standby_dr', null, { timeline: 2, upstreamAddress: '10.0.0.9:5432' }), aStandbyNode('primary', 'standby_az2', { timeline: 2 })], 'standby_az2', 2);
    expect(followers.map((f) => f.following)).toEqual([true, true]);
    expect(followers[0]!.reason).toBe('standby_dr follows standby_az2 via 10.0.0.9:5432 on timeline 2');
  });

  it('include a standby streaming from a follower (cascading), on the same timeline', () => {
    const followers = followersOf(record, [aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 }), aStandbyNode('primary', 'standby_dr', { timeline: 2 })], 'standby_az2', 2);
    expect(followers[1]).toEqual({ node: 'primary', following: true, reason: 'primary follows standby_az2 through standby_dr (cascading) on timeline 2' });
  });

  it('exclude a standby whose timeline cannot be read: its position is not comparable', () => {
    const followers = followersOf(record, [aStandbyNode('standby_dr', 'standby_az2', { timeline: null, streaming: false })], 'standby_az2', 2);
    expect(followers[0]).toEqual({ node: 'standby_dr', following: false, reason: "standby_dr reports no timeline: its position cannot be compared with standby_az2's on timeline 2" });
  });

  it('without a recorded timeline, exclude a standby on an older timeline than another standby of the same writer', () => {
    const followers = followersOf(record, [aStandbyNode('standby_dr', 'standby_az2', { timeline: 1 }), aStandbyNode('primary', 'standby_az2', { timeline: 2 })], 'standby_az2', null);
    expect(followers.map((f) => [f.node, f.following])).toEqual([['standby_dr', false], ['primary', true]]);
    expect(followers[0]!.reason).toBe('standby_dr is on timeline 1, standby_az2 on timeline 2');
  });

  it('exclude a standby cascading through a follower when its own timeline cannot be read', () => {
    const followers = followersOf(record, [aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 }), aStandbyNode('primary', 'standby_dr', { timeline: null })], 'standby_az2', 2);
    expect(followers[1]).toMatchObject({ node: 'primary', following: false });
  });

  it('exclude a standby left on the old timeline, one following another node, and a fenced node', () => {
    const fenced = aRecord({ ...record, fenced: { primary: { reason: 'stopped', confirmed: true, at: AT, by: 'x' } } });
    const followers = followersOf(fenced, [aStandbyNode('standby_dr', 'primary', { timeline: 1 }), aStandbyNode('primary', 'standby_az2', { timeline: 2 })], 'standby_az2', 2);
    expect(followers.map((f) => f.reason)).toEqual(['standby_dr streams from primary, not from standby_az2', 'primary is fenced (stopped)']);
  });

  it('are candidates; a standby on another timeline is refused with the reason', () => {
    const standby = (node: string, follows: boolean, followReason: string): StandbyFacts => ({
      node, region: 'us-west-2', role: 'async-standby', reachable: true, inRecovery: true, receiveLsn: 1000, replayLsn: 1000, senderEndLsn: 1000, receiverStreaming: false, follows, followReason,
    });
    const verdict = chooseCandidate(
      { failedPrimary: { node: 'standby_az2', region: 'us-east-1' }, standbys: [standby('standby_dr', false, 'standby_dr is on timeline 1, standby_az2 on timeline 2')], history: [], regionHealthy: true, acceptDataLoss: false },
      { maxLagBytes: 1e9, maxLagSeconds: 1e9, requiredSignals: 3, rechecks: 1 },
    );
    expect(verdict).toMatchObject({ promote: false });
    expect(verdict.reasons.join()).toMatch(/standby_dr is on timeline 1, standby_az2 on timeline 2 \(.+ behind the writer's last known position by position alone, which does not compare across histories\): not a candidate/);
  });

  it('never converge on a read-only former primary as if it were already promoted', () => {
    const readOnly: StandbyFacts = { node: 'primary', region: 'us-east-1', role: 'primary', reachable: true, inRecovery: false, receiveLsn: 1000, replayLsn: null, senderEndLsn: null, receiverStreaming: false, follows: false, followReason: 'primary is a read-only former primary, not a standby' };
    const dr: StandbyFacts = { node: 'standby_dr', region: 'us-west-2', role: 'async-standby', reachable: true, inRecovery: true, receiveLsn: 1000, replayLsn: 1000, senderEndLsn: 1000, receiverStreaming: false, follows: true };
    const verdict = chooseCandidate(
      // (the writer's published history is the reference: the former primary's position is on another history)
      { failedPrimary: { node: 'standby_az2', region: 'us-east-1' }, standbys: [readOnly, dr], history: [{ at: 1, lsn: 1000 }], regionHealthy: true, acceptDataLoss: false },
      { maxLagBytes: 1e9, maxLagSeconds: 1e9, requiredSignals: 3, rechecks: 1 },
    );
    expect(verdict).toMatchObject({ promote: true, node: 'standby_dr', alreadyPrimary: false });
  });
});

describe('the cluster record', () => {
  it('after a failover names the new writer and timeline, fences the failed writer, and is one generation on', () => {
    const before = aRecord({ timeline: 1 });
    const after = recordPromotion(before, { writer: 'standby_az2', timeline: 2, previousWriter: 'primary', fence: { confirmed: true, reason: 'instance stopped' }, execution: 'e1', kind: 'failover' }, AT);
    expect(after).toMatchObject({ generation: before.generation + 1, writer: 'standby_az2', timeline: 2, lastIncident: { from: 'primary', to: 'standby_az2', completed: false } });
    expect(after.fenced.primary).toMatchObject({ reason: 'instance stopped', confirmed: true, by: 'e1' });
    expect(recordCompletion(after, 'e1', AT)).toMatchObject({ generation: after.generation + 1, lastIncident: { completed: true } });
    expect(recordCompletion(after, 'another execution', AT)).toBeNull();
  });

  it('hands an unfinished failover back to its failed writer, so that a re-run converges', () => {
    const after = recordPromotion(aRecord({ timeline: 1 }), { writer: 'standby_az2', timeline: 2, previousWriter: 'primary', fence: { confirmed: true, reason: 'x' }, execution: 'e1', kind: 'failover' }, AT);
    expect(failedWriterOf(after, 'standby_az2')).toEqual({ node: 'primary', resuming: true });
    expect(failedWriterOf(recordCompletion(after, 'e1', AT)!, 'standby_az2')).toEqual({ node: 'standby_az2', resuming: false });
  });

  it('recognises a promotion that happened but was never recorded as the open incident, not a new writer to fail over', () => {
    const opened = recordIntent(aRecord({ timeline: 1 }), { execution: 'e1', from: 'primary', to: 'standby_az2' }, AT);
    expect(opened).toMatchObject({ writer: 'primary', generation: 2, lastIncident: { to: 'standby_az2', completed: false } });
    const verdict = decideWriter(opened, [anUnreachableNode('primary'), aWriterNode('standby_az2', { timeline: 2 }), aStandbyNode('standby_dr', 'primary', { timeline: 1 })]);
    expect(verdict).toMatchObject({ known: true, writer: 'standby_az2' });
    expect(failedWriterOf(opened, 'standby_az2')).toEqual({ node: 'primary', resuming: true });
    // Not promoted after all: the failover starts again from the record's writer.
    expect(failedWriterOf(opened, 'primary')).toEqual({ node: 'primary', resuming: false });
  });

  it('says who paused it, since when and why', () => {
    expect(describePause({ by: 'alice', since: AT, reason: 'kernel upgrade' })).toBe(`paused since ${AT}, by alice, because kernel upgrade`);
  });
});

describe('re-pointing followers', () => {
  it('names exactly one synchronous standby in the writer region, configured sync standby first; none across regions', () => {
    const writer = { node: 'standby_az2', region: 'us-east-1' };
    expect(synchronousStandbyNamesFor(writer, [{ node: 'standby_dr', region: 'us-west-2', configuredRole: 'async-standby' }])).toBe('');
    expect(
      synchronousStandbyNamesFor(writer, [
        { node: 'primary', region: 'us-east-1', configuredRole: 'primary' },
        { node: 'az3', region: 'us-east-1', configuredRole: 'sync-standby' },
      ]),
    ).toBe('FIRST 1 ("az3")');
    expect(synchronousStandbyNamesFor(writer, [])).toBe('');
  });

  it('reports a standby that received old-timeline WAL past the fork point as diverged', () => {
    expect(divergence({ node: 'standby_dr', timeline: 1, receiveLsn: 5000 }, { node: 'standby_az2', timeline: 2, forkLsn: 4000 })).toMatch(/standby_dr received WAL of timeline 1 up to 5000, past where standby_az2's timeline 2 forked off/);
    expect(divergence({ node: 'standby_dr', timeline: 1, receiveLsn: 3000 }, { node: 'standby_az2', timeline: 2, forkLsn: 4000 })).toBeNull();
    expect(divergence({ node: 'standby_dr', timeline: 2, receiveLsn: 9000 }, { node: 'standby_az2', timeline: 2, forkLsn: 4000 })).toBeNull();
  });

  it('rewrites only host and port of primary_conninfo, keeping user, password and application_name', () => {
    const before = "host='10.0.0.1' port='5432' user='replicator' password='p@ss w\\'rd' application_name='standby_dr' sslmode='require'";
    const after = retargetConninfo(before, '10.0.1.7', 6543);
    expect(parseConninfo(after)).toEqual([
      ['host', '10.0.1.7'],
      ['port', '6543'],
      ['user', 'replicator'],
      ['password', "p@ss w'rd"],
      ['application_name', 'standby_dr'],
      ['sslmode', 'require'],
    ]);
    expect(conninfoTarget(after)).toEqual({ host: '10.0.1.7', port: 6543 });
    expect(conninfoTarget('user=x host=db1')).toEqual({ host: 'db1', port: 5432 });
  });

  it('refuses a URI or a malformed primary_conninfo without echoing its values', () => {
    expect(() => parseConninfo('postgresql://u:secret@h/db')).toThrow(/URI/);
    expect(() => parseConninfo("user='u' password='secret")).toThrow(/unterminated quoted value of password/);
    expect(() => parseConninfo("host='h' secret")).toThrow(/expected keyword=value at character 10/);
    try {
      parseConninfo("user='u' password='secret");
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });
});
