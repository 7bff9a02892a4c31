import { readFileSync } from 'node:fs';
import { parse, type Tags } from 'yaml';
import { failoverEvent } from '../../functions/failover/publish-receipt';
import { buildReceipt } from '../../shared/decisions/receipt';
import { DETAIL_TYPES, EVENT_SOURCE, type EventEntry } from '../../shared/aws/events';
import { switchoverEvent, type SwitchoverReceipt } from '../../shared/operators/switchover';
import { aPromotedExecution } from '../fixtures/decisions';

/** CloudFormation's short forms, read as their long forms (`!Ref X` → `{ Ref: X }`). */
const cloudFormationTags: Tags = ['Ref', 'Sub', 'GetAtt', 'Join', 'If', 'Not', 'Equals'].flatMap((name) => {
  const key = name === 'Ref' ? 'Ref' : `Fn::${name}`;
  return [
    { tag: `!${name}`, resolve: (value: unknown) => ({ [key]: value }) },
    { tag: `!${name}`, collection: 'seq' as const, resolve: (value: { toJSON(): unknown }) => ({ [key]: value.toJSON() }) },
  ];
});
const template = (file: string) => parse(readFileSync(file, 'utf8'), { customTags: cloudFormationTags });
const serverless = parse(readFileSync('serverless.yml', 'utf8').replace(/!Ref /g, ''));

/** EventBridge's matching, as far as the templates use it: every listed value is one of the allowed ones, objects recursively. */
const matches = (pattern: Record<string, unknown>, event: Record<string, unknown>): boolean =>
  Object.entries(pattern).every(([key, allowed]) =>
    Array.isArray(allowed)
      ? allowed.includes(event[key])
      : typeof event[key] === 'object' && event[key] !== null && matches(allowed as Record<string, unknown>, event[key] as Record<string, unknown>),
  );
/** An entry as EventBridge delivers it to a rule's target. */
const delivered = (entry: EventEntry) => ({ source: entry.Source, 'detail-type': entry.DetailType, detail: JSON.parse(entry.Detail) as Record<string, unknown> });

const aSwitchoverReceipt = (overrides: Partial<SwitchoverReceipt> = {}): SwitchoverReceipt => ({
  cluster: 'orders',
  outcome: 'switched',
  from: 'primary',
  to: 'standby_az2',
  reasons: [],
  writeUnavailableMs: 210,
  finalLsn: 50331648,
  steps: [],
  dns: { record: 'db.orders.internal', target: 'pg-az2.orders.internal' },
  databaseUrl: [{ region: 'us-east-1', name: '/orders/prod/DATABASE_URL', host: 'pg-az2.orders.internal', port: 5432 }],
  oldPrimary: null,
  notificationErrors: [],
  followers: [],
  synchronousStandbyNames: null,
  timeline: 2,
  generation: 7,
  ...overrides,
});

/** The templates in docs/examples name events pgfo publishes or consumes: they must be the ones in the code. */
describe('example templates', () => {
  it('restarts ECS services on the events publishReceipt sends when the writer changed, or when a run failed after its promotion', () => {
    const resources = template('docs/examples/restart-ecs-on-failover.yml').Resources;
    const rule = resources.WriterChangedRule.Properties;

    expect(rule.EventPattern).toEqual({ source: [EVENT_SOURCE], 'detail-type': [DETAIL_TYPES.promoted, DETAIL_TYPES.failed], detail: { cluster: [{ Ref: 'ClusterName' }] } });
    // The receipt field the function reads to tell a run that moved the writer from one that did not.
    expect(resources.RestartFunction.Properties.Code.ZipFile).toContain('event.detail.promoted');
    expect(rule.Targets[0]).toMatchObject({ Arn: { 'Fn::GetAtt': 'RestartFunction.Arn' }, DeadLetterConfig: { Arn: { 'Fn::GetAtt': 'DeadLetterQueue.Arn' } } });
  });

  it('restarts them after a switchover too: its event is the one a failover that promoted sends, naming the new writer', () => {
    const rule = template('docs/examples/restart-ecs-on-failover.yml').Resources.WriterChangedRule.Properties;
    const pattern = { ...rule.EventPattern, detail: { cluster: ['orders'] } };
    const switched = delivered(switchoverEvent(aSwitchoverReceipt(), 'default'));
    const failedOver = delivered(failoverEvent(buildReceipt(aPromotedExecution(), new Date('2026-11-26T12:01:30.000Z')), 'default'));

    expect(matches(pattern, switched)).toBe(true);
    expect(matches(pattern, failedOver)).toBe(true);
    expect(switched['detail-type']).toBe(failedOver['detail-type']);
    expect(switched.detail).toMatchObject({ kind: 'switchover', cluster: 'orders', promoted: 'standby_az2', previousPrimary: 'primary', databaseUrl: [expect.objectContaining({ host: 'pg-az2.orders.internal' })] });
    expect(failedOver.detail).toMatchObject({ kind: 'failover', cluster: 'orders', promoted: 'standby_dr' });
    // Another cluster's rule does not fire.
    expect(matches({ ...pattern, detail: { cluster: ['billing'] } }, switched)).toBe(false);
  });

  it('forwards to the control region exactly the EC2 state changes the nodeReturned rule consumes', () => {
    const rule = template('docs/examples/forward-ec2-state-changes.yml').Resources.ForwardRule.Properties;
    const consumed = serverless.functions.nodeReturned.events[0].eventBridge.pattern;

    expect(rule.EventPattern.source).toEqual(consumed.source);
    expect(rule.EventPattern['detail-type']).toEqual(consumed['detail-type']);
    expect(rule.EventPattern.detail.state).toEqual(consumed.detail.state);
    expect(rule.EventPattern.detail['instance-id']).toEqual({ Ref: 'InstanceIds' });
    // nodeReturned listens on the default bus of the control region.
    expect(serverless.functions.nodeReturned.events[0].eventBridge.eventBus).toBeUndefined();
    expect(rule.Targets[0].Arn).toEqual({ 'Fn::Sub': 'arn:${AWS::Partition}:events:${ControlRegion}:${AWS::AccountId}:event-bus/default' });
  });
});
