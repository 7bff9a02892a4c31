import { decidePendingFence } from '../../shared/decisions/pending-fence';

const fence = { reason: 'could not be fenced: region did not answer', confirmed: false, at: '2026-12-02T03:00:00.000Z', by: 'orders-1700000000' };

describe('a fence the failover could not confirm', () => {
  it('is completed once the region answers: a running or starting instance is tagged and stopped', () => {
    for (const state of ['running', 'pending']) {
      expect(decidePendingFence({ node: 'primary', fence, instance: { state } })).toEqual({
        action: 'fence',
        reason: `primary was fenced without confirmation (could not be fenced: region did not answer) and its instance is ${state}: tagged fenced and stopped now`,
      });
    }
  });

  it('is confirmed for a stopped or terminated instance, and waits for one that is stopping', () => {
    expect(decidePendingFence({ node: 'primary', fence, instance: { state: 'stopped' } })).toMatchObject({ action: 'confirm', reason: expect.stringMatching(/stopped: the fence of 2026-12-02T03:00:00.000Z is confirmed/) });
    expect(decidePendingFence({ node: 'primary', fence, instance: { state: 'terminated' } }).action).toBe('confirm');
    expect(decidePendingFence({ node: 'primary', fence, instance: { state: 'stopping' } }).action).toBe('wait');
  });

  it('assumes nothing while the EC2 API gives no state', () => {
    expect(decidePendingFence({ node: 'primary', fence, instance: { error: 'connect ECONNREFUSED' } })).toEqual({
      action: 'wait',
      reason: "primary's fence is still pending (could not be fenced: region did not answer): its EC2 API gave no state (connect ECONNREFUSED); tried again on the next run",
    });
  });
});
