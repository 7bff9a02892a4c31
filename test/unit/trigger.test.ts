import { decideTrigger, type TriggerDecision } from '../../shared/decisions/trigger';
import { executionInputSchema, executionNameFor } from '../../shared/workflow/state';
import { aConfig } from '../fixtures/config';
import { anAlarmEvent } from '../fixtures/decisions';

const PREFIX = 'pgfo-prod';

/** The example configuration with a second cluster, `billing`, that waits `billingRecheck` seconds between checks. */
const twoClusters = (billingRecheck = 45) => {
  const config = aConfig();
  const billing = structuredClone(config.clusters[0]!);
  billing.name = 'billing';
  billing.policy.recheckAfterSeconds = billingRecheck;
  config.clusters.push(billing);
  return config;
};

/** The decision, which must be to start (the test fails with the refusal's reason otherwise). */
const started = (decision: TriggerDecision) => {
  if (!decision.start) throw new Error(`expected a start, got: ${decision.reason}`);
  return decision;
};

describe('decideTrigger: does an alarm event start a failover?', () => {
  it.each(['OK', 'INSUFFICIENT_DATA'] as const)('starts nothing when the failover alarm goes to %s', (value) => {
    const decision = decideTrigger(anAlarmEvent('pgfo-prod-orders-primary-unreachable', { value }), aConfig(), PREFIX);
    expect(decision).toEqual({ start: false, reason: `pgfo-prod-orders-primary-unreachable went to ${value}: nothing to do` });
  });

  it('starts nothing for an alarm this deployment does not define (another stage, another prefix)', () => {
    const decision = decideTrigger(anAlarmEvent('pgfo-staging-orders-primary-unreachable'), aConfig(), PREFIX);
    expect(decision).toEqual({ start: false, reason: 'pgfo-staging-orders-primary-unreachable is not an alarm of this deployment' });
  });

  it.each(['pgfo-prod-orders-standby_dr-replication-lag', 'pgfo-prod-orders-wal-senders-low', 'pgfo-prod-orders-split-brain'])(
    'starts nothing for %s, an alarm that only informs',
    (alarmName) => {
      expect(decideTrigger(anAlarmEvent(alarmName), aConfig(), PREFIX)).toEqual({ start: false, reason: `${alarmName} does not trigger failover` });
    },
  );

  it('starts an automatic failover of the alarm’s cluster, without accepting data loss, with the incident and the re-check wait', () => {
    const config = twoClusters(45);
    const decision = decideTrigger(
      anAlarmEvent('pgfo-prod-billing-primary-unreachable', { reason: 'Threshold Crossed: 3 datapoints', timestamp: '2026-11-26T12:00:40.123+0000' }),
      config,
      PREFIX,
    );
    expect(decision).toEqual({
      start: true,
      executionName: 'billing-alarm-20261126120040123',
      input: {
        cluster: 'billing',
        executionName: 'billing-alarm-20261126120040123',
        mode: 'automatic',
        acceptDataLoss: false,
        incident: { alarmName: 'pgfo-prod-billing-primary-unreachable', at: '2026-11-26T12:00:40.123+0000', reason: 'Threshold Crossed: 3 datapoints' },
        policy: { recheckAfterSeconds: 45 },
      },
    });
  });

  it('gives the same execution name to the same alarm transition delivered twice, and a new one to the next transition', () => {
    const alarm = 'pgfo-prod-orders-primary-unreachable';
    const first = started(decideTrigger(anAlarmEvent(alarm, { timestamp: '2026-11-26T12:00:40.123+0000' }), aConfig(), PREFIX));
    const again = started(decideTrigger(anAlarmEvent(alarm, { timestamp: '2026-11-26T12:00:40.123+0000' }), aConfig(), PREFIX));
    const later = started(decideTrigger(anAlarmEvent(alarm, { timestamp: '2026-11-26T12:07:10.000+0000' }), aConfig(), PREFIX));
    expect(again.executionName).toBe(first.executionName);
    expect(later.executionName).not.toBe(first.executionName);
  });

  it('keeps at most 2,000 characters of the alarm’s reason, so that the input stays valid', () => {
    const decision = started(decideTrigger(anAlarmEvent('pgfo-prod-orders-primary-unreachable', { reason: 'x'.repeat(3000) }), aConfig(), PREFIX));
    expect(decision.input.incident.reason).toHaveLength(2000);
    expect(executionInputSchema.safeParse(decision.input).success).toBe(true);
  });
});

describe('executionNameFor: the name of an execution', () => {
  it('is the cluster, what started it and the timestamp’s digits (to the millisecond)', () => {
    expect(executionNameFor('orders', 'alarm', '2026-11-26T12:00:40.123+0000')).toBe('orders-alarm-20261126120040123');
    expect(executionNameFor('orders', 'manual', '2026-11-26T12:00:40.123Z')).toBe('orders-manual-20261126120040123');
  });

  it('ignores what follows the milliseconds (the time zone), so one instant written twice maps to one name', () => {
    expect(executionNameFor('orders', 'alarm', '2026-11-26T12:00:40.123+0000')).toBe(executionNameFor('orders', 'alarm', '2026-11-26T12:00:40.123Z'));
  });

  it('replaces characters Step Functions refuses in a name by "_"', () => {
    expect(executionNameFor('orders.eu west', 'alarm', '2026-11-26T12:00:40Z')).toBe('orders_eu_west-alarm-20261126120040');
  });

  it('is never longer than 80 characters and always a valid execution name', () => {
    const name = executionNameFor('c'.repeat(100), 'manual', '2026-11-26T12:00:40.123Z');
    expect(name).toHaveLength(80);
    for (const [cluster, stamp] of [['c'.repeat(100), '2026-11-26T12:00:40.123Z'], ['ö/ä', 'no digits at all'], ['orders', '']]) {
      expect(executionNameFor(cluster!, 'alarm', stamp!)).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    }
  });
});
