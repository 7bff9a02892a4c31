import { switchoverReadiness } from '../../shared/decisions/failback';
import { aReadOnlyNode, aStandbyNode, aWriterNode, anUnreachableNode } from '../fixtures/topology';

const MB = 1024 * 1024;
const writer = aWriterNode('standby_az2', { timeline: 2, currentLsn: 50 * MB });
/** The rejoined old primary, streaming from the writer on its timeline and caught up. */
const rejoined = (overrides: Parameters<typeof aStandbyNode>[2] = {}) =>
  aStandbyNode('primary', 'standby_az2', { timeline: 2, receiveLsn: 50 * MB, replayLsn: 50 * MB, ...overrides });

describe('failback readiness: may a switchover take over from the live writer?', () => {
  it('is ready when the node streams from the writer on its timeline within the lag cap', () => {
    expect(switchoverReadiness(writer, rejoined(), 16 * MB)).toEqual({ ready: true, reason: 'primary streams from standby_az2 on timeline 2, 0 B behind (cap 16 MB)' });
    expect(switchoverReadiness(writer, rejoined({ replayLsn: 34 * MB }), 16 * MB)).toMatchObject({ ready: true, reason: expect.stringContaining('16 MB behind (cap 16 MB)') });
  });

  it('is not ready when its WAL receiver does not stream, whatever its position', () => {
    expect(switchoverReadiness(writer, rejoined({ streaming: false, upstream: null }), 16 * MB)).toEqual({
      ready: false,
      reason: 'primary is not streaming from standby_az2 (no WAL receiver streaming)',
    });
    expect(switchoverReadiness(writer, rejoined({ streaming: false }), 16 * MB)).toEqual({
      ready: false,
      reason: 'primary is not streaming from standby_az2 (no WAL receiver streaming; set to follow standby_az2)',
    });
  });

  it('is not ready when it streams from anything but the writer', () => {
    expect(switchoverReadiness(writer, rejoined({ upstream: 'standby_dr' }), 16 * MB).reason).toBe('primary streams from standby_dr, not from standby_az2');
    expect(switchoverReadiness(writer, rejoined({ upstream: null, upstreamAddress: '10.0.0.9:5432' }), 16 * MB).reason).toBe('primary streams from 10.0.0.9:5432, not from standby_az2');
    expect(switchoverReadiness(writer, rejoined({ upstream: null }), 16 * MB).reason).toBe('primary streams from an unknown upstream, not from standby_az2');
  });

  it("is not ready on another timeline than the writer's, or an unknown one", () => {
    expect(switchoverReadiness(writer, rejoined({ timeline: 1 }), 16 * MB)).toEqual({ ready: false, reason: 'primary is on timeline 1, standby_az2 on timeline 2' });
    expect(switchoverReadiness(writer, rejoined({ timeline: null }), 16 * MB).reason).toBe('primary is on an unknown timeline, standby_az2 on timeline 2');
    expect(switchoverReadiness(aWriterNode('standby_az2', { timeline: null }), rejoined(), 16 * MB).ready).toBe(false);
  });

  it('is not ready beyond the lag cap, or when the distance cannot be measured', () => {
    expect(switchoverReadiness(writer, rejoined({ replayLsn: 34 * MB - 1 }), 16 * MB)).toEqual({
      ready: false,
      reason: 'primary streams from standby_az2 but is 16 MB behind (cap 16 MB)',
    });
    expect(switchoverReadiness(writer, rejoined({ replayLsn: null }), 16 * MB).reason).toMatch(/^primary's replay position or standby_az2's WAL position is unknown/);
    expect(switchoverReadiness(aWriterNode('standby_az2', { timeline: 2, currentLsn: null }), rejoined(), 16 * MB).ready).toBe(false);
  });

  it('is not ready when the node is not a standby: silent, read-only or writable', () => {
    expect(switchoverReadiness(writer, anUnreachableNode('primary'), 16 * MB).reason).toBe('primary does not answer (connect ECONNREFUSED)');
    expect(switchoverReadiness(writer, aReadOnlyNode('primary', { timeline: 1 }), 16 * MB).reason).toBe('primary is a read-only former primary, not a standby of standby_az2');
    expect(switchoverReadiness(writer, aWriterNode('primary', { timeline: 1 }), 16 * MB).reason).toBe('primary is writable, not a standby of standby_az2');
  });

  it('cannot be proven when the writer does not answer as a writer', () => {
    for (const silent of [anUnreachableNode('standby_az2'), aReadOnlyNode('standby_az2', { timeline: 2 }), aStandbyNode('standby_az2', 'primary', { timeline: 2 })]) {
      expect(switchoverReadiness(silent, rejoined(), 16 * MB)).toEqual({ ready: false, reason: "standby_az2 does not answer as a writer: primary's readiness to take over from it cannot be proven" });
    }
  });
});
