import { decideReturnedNode, type ReturnedNodeFacts } from '../../shared/decisions/returned-node';

const returned = (facts: Partial<ReturnedNodeFacts>): ReturnedNodeFacts => ({ node: 'primary', fencedTag: null, observed: null, otherWriters: [], ...facts });
const writable = { inRecovery: false, readOnly: false };
const standby = { inRecovery: true, readOnly: true };

describe('decideReturnedNode', () => {
  it('fences again a fenced node that came back writable', () => {
    expect(decideReturnedNode(returned({ fencedTag: 'orders-alarm-1', observed: writable, otherWriters: ['standby_az2'] }))).toEqual({
      action: 'fence-again',
      reason: 'primary was fenced (orders-alarm-1) and came back writable: fenced again',
    });
  });

  it('fences a node that was never tagged but came back writable while another node writes', () => {
    expect(decideReturnedNode(returned({ observed: writable, otherWriters: ['standby_dr'] }))).toEqual({
      action: 'fence-again',
      reason: 'primary came back writable while standby_dr takes writes: fenced to keep one writer',
    });
  });

  it('records a fenced node that came back in recovery as needing a rejoin', () => {
    expect(decideReturnedNode(returned({ fencedTag: 'orders-alarm-1', observed: standby, otherWriters: ['standby_az2'] }))).toEqual({
      action: 'record',
      reason: 'primary was fenced (orders-alarm-1) and came back; it is in recovery (read-only): it needs a rejoin (pgfo rejoin)',
    });
  });

  it('records a fenced node whose PostgreSQL does not answer (it cannot be proven writable)', () => {
    expect(decideReturnedNode(returned({ fencedTag: 'x', observed: null }))).toMatchObject({ action: 'record', reason: expect.stringContaining('does not answer yet') });
  });

  it('leaves alone a node that was not fenced and is the only writer (an ordinary restart)', () => {
    expect(decideReturnedNode(returned({ observed: writable }))).toEqual({ action: 'none', reason: 'primary started and was not fenced; it is the only writer' });
  });

  it('does not count the node itself among the other writers', () => {
    expect(decideReturnedNode(returned({ observed: writable, otherWriters: ['primary'] })).action).toBe('none');
  });
});
