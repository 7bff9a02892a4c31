import { buildReceipt } from '../../shared/decisions/receipt';
import { aDnsPending, aPromotedState } from '../fixtures/failover-state';

describe('failover receipt: the repoint', () => {
  const now = new Date(Date.UTC(2026, 11, 1, 12, 1, 0));

  it('reports a promotion whose record Route 53 refused as promoted, with "DNS pending: reason" and the DATABASE_URLs written', () => {
    const receipt = buildReceipt(aPromotedState({ dns: aDnsPending() }), now);

    expect(receipt.outcome).toBe('promoted');
    expect(receipt.error).toBeNull();
    expect(receipt.dns).toMatchObject({ status: 'pending', node: 'standby_az2', target: null });
    expect(receipt.dnsPending).toBe('DNS pending: AwsTransientError: route53:ChangeResourceRecordSets db.orders.internal in Z1 failed: ServiceUnavailable: injected fault');
    expect(receipt.reasons).toContain(receipt.dnsPending);
    expect(receipt.databaseUrl).toEqual([{ region: 'us-east-1', name: '/orders/prod/DATABASE_URL', host: '127.0.0.1', port: 5433 }]);
    expect(receipt.steps.map((s) => s.step)).toEqual(['lease', 'promotion', 'databaseUrl']);
  });

  it('reports a record in sync with its propagation time, and no pending DNS', () => {
    const receipt = buildReceipt(aPromotedState(), now);

    expect(receipt.dns).toMatchObject({ status: 'in-sync', target: 'standby-az2.orders.internal', syncMs: 40000 });
    expect(receipt.dnsPending).toBeNull();
    expect(receipt.steps.map((s) => s.step)).toEqual(['lease', 'promotion', 'databaseUrl', 'dns']);
  });

  it('reports a DATABASE_URL branch that failed as a failed failover with its error, keeping the record it moved', () => {
    const error = { Error: 'AwsTransientError', Cause: 'DATABASE_URL written in us-east-1 /a; not written in us-west-2 /a (boom)' };
    const receipt = buildReceipt(aPromotedState({ databaseUrl: { failed: true, error } }, { error }), now);

    expect(receipt.outcome).toBe('failed');
    expect(receipt.error).toEqual({ name: 'AwsTransientError', message: error.Cause });
    expect(receipt.databaseUrl).toEqual([]);
    expect(receipt.dns).toMatchObject({ status: 'in-sync' });
  });
});
