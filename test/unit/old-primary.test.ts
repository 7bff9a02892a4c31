import { afterRejoin, leftAside, type RejoinOutcome } from '../../shared/decisions/old-primary';
import { commandTimeoutSeconds } from '../../shared/operators/rejoin';
import { REJOIN_TIMEOUT_SECONDS } from '../../shared/infra/rejoin-document';

/** The rejoin's receipt for a read-only former primary: rewound, streaming, nothing committed after the fork. */
const aRejoin = (overrides: Partial<RejoinOutcome> = {}): RejoinOutcome => ({
  outcome: 'rejoined',
  reasons: ['primary streams from standby_az2 (rewind) on timeline 2'],
  method: 'rewind',
  forkLsn: '0/5000148',
  discardedBytes: 184,
  discardedCommits: 0,
  writerTimeline: 2,
  commandId: 'cmd-1',
  ...overrides,
});

describe('the old primary after a switchover, as the receipt says it', () => {
  it('rejoined: streaming from the new writer, with the method, the timeline and the command', () => {
    expect(afterRejoin('orders', 'primary', aRejoin())).toEqual({
      node: 'primary',
      outcome: 'rejoined',
      reason: 'primary streams from the new writer (rewind, timeline 2)',
      method: 'rewind',
      commandId: 'cmd-1',
    });
  });

  it('rejoined, naming the transactions discarded when it had committed after the fork (a read-only node should not have)', () => {
    expect(afterRejoin('orders', 'primary', aRejoin({ discardedCommits: 2, discardedBytes: 912 })).reason).toBe(
      'primary streams from the new writer (rewind, timeline 2); 2 transaction(s) (912 bytes of WAL) it committed after the fork at 0/5000148 were discarded',
    );
  });

  it('left aside when the operator asked, saying how to bring it back', () => {
    expect(leftAside('orders', 'primary')).toEqual({
      node: 'primary',
      outcome: 'left-aside',
      reason: 'primary is left aside as asked: read-only, naming no synchronous standby; pgfo rejoin --cluster orders --node primary brings it back',
      method: null,
      commandId: null,
    });
  });

  it('rejoin refused (a failover took the lease meanwhile): it stays read-only, with the reason and the way back', () => {
    const report = afterRejoin('orders', 'primary', aRejoin({ outcome: 'refused', reasons: ['orders: failover orders-alarm-1 holds the lease'], method: null, commandId: null }));
    expect(report).toEqual({
      node: 'primary',
      outcome: 'rejoin-failed',
      reason: 'the rejoin of primary was refused (orders: failover orders-alarm-1 holds the lease): it stays read-only; pgfo rejoin --cluster orders --node primary brings it back',
      method: null,
      commandId: null,
    });
  });

  it("rejoin failed: the rejoin's own last reason (which says what state the node is in), never an error", () => {
    const report = afterRejoin('orders', 'primary', aRejoin({ outcome: 'failed', reasons: ['rejoin of primary failed: pg_rewind failed (see the lines above); the node is stopped'] }));
    expect(report).toMatchObject({ outcome: 'rejoin-failed', reason: 'the rejoin of primary failed: rejoin of primary failed: pg_rewind failed (see the lines above); the node is stopped' });
    expect(afterRejoin('orders', 'primary', aRejoin({ outcome: 'failed', reasons: [] })).reason).toBe('the rejoin of primary failed: the rejoin ended failed');
  });
});

describe('commandTimeoutSeconds: how long the rejoin document may run', () => {
  const now = 1_000_000;
  it('is the document\'s own limit without a deadline (pgfo rejoin)', () => {
    expect(commandTimeoutSeconds(undefined, now)).toBe(REJOIN_TIMEOUT_SECONDS);
  });

  it("fits what is left of the caller's deadline after the streaming check and the calls around it", () => {
    expect(commandTimeoutSeconds(now + 200_000, now)).toBe(155);
    expect(commandTimeoutSeconds(now + 2_000_000, now)).toBe(REJOIN_TIMEOUT_SECONDS);
  });

  it('refuses (null) when less than SSM accepts is left, rather than cut the rejoin off half done', () => {
    expect(commandTimeoutSeconds(now + 74_999, now)).toBeNull();
    expect(commandTimeoutSeconds(now + 75_000, now)).toBe(30);
  });
});
