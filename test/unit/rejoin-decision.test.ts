import { decideRejoin, type RejoinNodeView } from '../../shared/decisions/rejoin';

const writer = (node: string): RejoinNodeView => ({ node, reachable: true, inRecovery: false, readOnly: false });
const standby = (node: string): RejoinNodeView => ({ node, reachable: true, inRecovery: true, readOnly: true });
const readOnlyFormerPrimary = (node: string): RejoinNodeView => ({ node, reachable: true, inRecovery: false, readOnly: true });
const down = (node: string): RejoinNodeView => ({ node, reachable: false, inRecovery: null, readOnly: null });

describe('decideRejoin', () => {
  it('rejoins a stopped old primary as a standby of the one writer', () => {
    expect(decideRejoin('primary', [down('primary'), writer('standby_az2'), standby('standby_dr')])).toEqual({
      rejoin: true,
      node: 'primary',
      writer: 'standby_az2',
      notes: ['primary does not answer: the rejoin works from its data directory'],
    });
  });

  it('rejoins a read-only former primary (left by a switchover): it is not a writer', () => {
    expect(decideRejoin('primary', [readOnlyFormerPrimary('primary'), writer('standby_az2')])).toMatchObject({ rejoin: true, writer: 'standby_az2', notes: [] });
  });

  it('rejoins a returned old primary that takes writes, saying that what only it wrote is discarded', () => {
    const verdict = decideRejoin('primary', [writer('primary'), writer('standby_az2')]);
    expect(verdict).toMatchObject({ rejoin: true, writer: 'standby_az2' });
    expect(verdict.rejoin && verdict.notes[0]).toMatch(/discards what only it wrote/);
  });

  it('refuses the writer itself', () => {
    expect(decideRejoin('standby_az2', [down('primary'), writer('standby_az2')])).toEqual({
      rejoin: false,
      reason: 'standby_az2 is the only node that takes writes: it is the writer, not a node to rejoin',
    });
  });

  it('refuses the node the cluster record names as writer, whatever else is seen', () => {
    expect(decideRejoin('standby_az2', [writer('primary'), writer('standby_az2')], 'standby_az2')).toMatchObject({ rejoin: false, reason: expect.stringMatching(/is the cluster's writer/) });
  });

  it('refuses when no other node takes writes (nothing to follow)', () => {
    expect(decideRejoin('primary', [down('primary'), standby('standby_az2')])).toEqual({
      rejoin: false,
      reason: 'no other node takes writes: there is no writer for primary to follow',
    });
  });

  it('refuses when two other nodes take writes', () => {
    expect(decideRejoin('standby_dr', [writer('primary'), writer('standby_az2'), standby('standby_dr')])).toMatchObject({
      rejoin: false,
      reason: 'primary and standby_az2 all take writes: resolve that first (pgfo status)',
    });
  });

  it('refuses when the writer seen is not the one the record names', () => {
    expect(decideRejoin('primary', [down('primary'), writer('standby_dr')], 'standby_az2')).toMatchObject({
      rejoin: false,
      reason: 'the cluster record names standby_az2 as writer but standby_dr takes writes: resolve that first',
    });
  });
});
