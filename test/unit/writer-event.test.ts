import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { mockClient } from 'aws-sdk-client-mock';
import { DETAIL_TYPES, publishEvent, writerEventEntry } from '../../shared/aws/events';

const eventBridge = mockClient(EventBridgeClient);
const client = new EventBridgeClient({ region: 'us-west-2' });

/** A switchover's "writer changed" event, as the switchover builds it. */
const anEntry = () =>
  writerEventEntry(
    DETAIL_TYPES.promoted,
    { kind: 'switchover', cluster: 'orders', promoted: 'standby_az2', previousPrimary: 'primary', databaseUrl: [] },
    { outcome: 'switched', promoted: 'overwritten by the shared fields' },
    'default',
  );

beforeEach(() => eventBridge.reset());

describe('publishing a pgfo event', () => {
  it('puts the one entry: source pgfo, the shared fields over the receipt, on the given bus', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: 'e-1' }] });

    await publishEvent(client, anEntry());

    const [entry] = eventBridge.commandCalls(PutEventsCommand)[0]!.args[0].input.Entries!;
    expect(entry).toMatchObject({ Source: 'pgfo', DetailType: 'PostgreSQL Writer Changed', EventBusName: 'default' });
    expect(JSON.parse(entry!.Detail!)).toEqual({ outcome: 'switched', kind: 'switchover', cluster: 'orders', promoted: 'standby_az2', previousPrimary: 'primary', databaseUrl: [] });
  });

  it('fails, naming the detail type and the code, when EventBridge answers 200 but refused the entry', async () => {
    eventBridge.on(PutEventsCommand).resolves({ FailedEntryCount: 1, Entries: [{ ErrorCode: 'InternalFailure', ErrorMessage: 'try again' }] });

    await expect(publishEvent(client, anEntry())).rejects.toThrow('events:PutEvents refused the PostgreSQL Writer Changed event: InternalFailure: try again');
  });

  it('fails, naming the call, when EventBridge refuses the request', async () => {
    eventBridge.on(PutEventsCommand).rejects(Object.assign(new Error('not authorized to perform events:PutEvents'), { name: 'AccessDeniedException' }));

    await expect(publishEvent(client, anEntry())).rejects.toThrow(/events:PutEvents PostgreSQL Writer Changed/);
  });
});
