import {
  ChangeResourceRecordSetsCommand,
  GetChangeCommand,
  ListResourceRecordSetsCommand,
  type Route53Client,
} from '@aws-sdk/client-route-53';
import { classifyAwsError } from './errors';

const normalise = (name: string) => (name.endsWith('.') ? name : `${name}.`).toLowerCase();

/** UPSERTs a CNAME (safe to repeat) and returns the change id. */
export const upsertCname = async (
  client: Route53Client,
  zoneId: string,
  name: string,
  target: string,
  ttl: number,
): Promise<string> => {
  try {
    const out = await client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zoneId,
        ChangeBatch: {
          Comment: 'pgfo: writer moved',
          Changes: [
            { Action: 'UPSERT', ResourceRecordSet: { Name: name, Type: 'CNAME', TTL: ttl, ResourceRecords: [{ Value: target }] } },
          ],
        },
      }),
    );
    return out.ChangeInfo?.Id ?? '';
  } catch (error) {
    throw classifyAwsError(error, `route53:ChangeResourceRecordSets ${name} in ${zoneId}`);
  }
};

/**
 * Polls GetChange until INSYNC or `timeoutMs` passed. A change still PENDING then is not an error:
 * Route 53 accepted it and will propagate it; the caller reports it as propagating.
 * @throws AwsTransientError/AwsPermanentError when GetChange itself fails.
 */
export const waitInSync = async (
  client: Route53Client,
  changeId: string,
  timeoutMs: number,
  pollMs = 2000,
): Promise<{ status: 'INSYNC' | 'PENDING'; ms: number }> => {
  const started = Date.now();
  for (;;) {
    let status: string | undefined;
    try {
      status = (await client.send(new GetChangeCommand({ Id: changeId }))).ChangeInfo?.Status;
    } catch (error) {
      throw classifyAwsError(error, `route53:GetChange ${changeId}`);
    }
    if (status === 'INSYNC') return { status, ms: Date.now() - started };
    if (Date.now() - started + pollMs > timeoutMs) return { status: 'PENDING', ms: Date.now() - started };
    await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
};

/** The value of a CNAME record, or null when there is none. */
export const readCname = async (client: Route53Client, zoneId: string, name: string): Promise<string | null> => {
  try {
    const out = await client.send(
      new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: 'CNAME', MaxItems: 1 }),
    );
    const record = out.ResourceRecordSets?.find((r) => normalise(r.Name ?? '') === normalise(name) && r.Type === 'CNAME');
    return record?.ResourceRecords?.[0]?.Value ?? null;
  } catch (error) {
    throw classifyAwsError(error, `route53:ListResourceRecordSets ${name} in ${zoneId}`);
  }
};
