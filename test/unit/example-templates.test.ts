import { readFileSync } from 'node:fs';
import { parse, type Tags } from 'yaml';
import { DETAIL_TYPES, EVENT_SOURCE } from '../../functions/failover/publish-receipt';

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
