import { decideResolve } from '../../shared/decisions/resolve';
import { decideWriter } from '../../shared/decisions/topology';
import { aReadOnlyNode, aRecord, aStandbyNode, aWriterNode, anUnreachableNode } from '../fixtures/topology';

const AT = '2026-12-02T03:00:00.000Z';
const request = { node: 'standby_az2', by: 'alice', reason: 'promoted by hand during the incident' };

describe('pgfo resolve: the record takes the one observed writer', () => {
  it('records a node promoted outside the control plane, lifts its fence, and the contradiction is gone', () => {
    const record = aRecord({ writer: 'primary', timeline: 1, fenced: { standby_az2: { reason: 'fenced by mistake', confirmed: true, at: AT, by: 'x' } } });
    const nodes = [anUnreachableNode('primary'), aWriterNode('standby_az2', { timeline: 2 }), aStandbyNode('standby_dr', 'standby_az2', { timeline: 2 })];
    expect(decideWriter(record, nodes).known).toBe(false);

    const verdict = decideResolve(record, nodes, request, AT);

    expect(verdict.action).toBe('record');
    if (verdict.action !== 'record') return;
    expect(verdict.next).toMatchObject({ writer: 'standby_az2', timeline: 2, fenced: {}, generation: record.generation + 1, updatedBy: 'alice (resolve: promoted by hand during the incident)' });
    expect(verdict.reasons[0]).toMatch(/the record named primary on timeline 1, standby_az2 fenced \(fenced by mistake\); now standby_az2 on timeline 2, by alice/);
    expect(verdict.reasons).toContainEqual(expect.stringMatching(/^primary did not answer .*taken on the operator's word/));
    expect(decideWriter(verdict.next, nodes)).toMatchObject({ known: true, writer: 'standby_az2', timeline: 2 });
  });

  it('refuses a node that does not accept writes, and two writers', () => {
    const record = aRecord({ writer: 'primary', timeline: 1 });
    const standby = decideResolve(record, [aWriterNode('primary'), aStandbyNode('standby_az2', 'primary'), aReadOnlyNode('standby_dr')], request, AT);
    expect(standby).toMatchObject({ action: 'refuse', reasons: [expect.stringMatching(/standby_az2 is a standby: only the node observed accepting writes/)] });
    const readOnly = decideResolve(record, [aWriterNode('primary'), aReadOnlyNode('standby_az2')], request, AT);
    expect(readOnly.reasons[0]).toMatch(/standby_az2 is a read-only former primary/);
    const down = decideResolve(record, [aWriterNode('primary'), anUnreachableNode('standby_az2')], request, AT);
    expect(down.reasons[0]).toMatch(/standby_az2 does not answer/);
    const two = decideResolve(record, [aWriterNode('primary'), aWriterNode('standby_az2', { timeline: 2 })], request, AT);
    expect(two).toMatchObject({ action: 'refuse', reasons: [expect.stringMatching(/primary and standby_az2 all accept writes: stop \(or rejoin\)/)] });
    expect(decideResolve(record, [aWriterNode('primary')], { ...request, node: 'nope' }, AT).action).toBe('refuse');
  });

  it('changes nothing when the record already says so, and reports what would still contradict', () => {
    const settled = aRecord({ writer: 'primary', timeline: 1 });
    expect(decideResolve(settled, [aWriterNode('primary', { timeline: 1 })], { ...request, node: 'primary' }, AT)).toMatchObject({
      action: 'none',
      reasons: [expect.stringMatching(/already the record's writer on timeline 1/)],
    });
    const ahead = decideResolve(aRecord({ writer: 'primary', timeline: 2 }), [aWriterNode('primary', { timeline: 1 }), aStandbyNode('standby_dr', 'primary', { timeline: 3 })], { ...request, node: 'primary' }, AT);
    expect(ahead.action).toBe('record');
    expect(ahead.reasons.at(-1)).toMatch(/still contradictory after this: .*standby_dr is on timeline 3, ahead of the writer primary on timeline 1/);
  });
});
