import {
  CreateDocumentCommand,
  GetCommandInvocationCommand,
  GetDocumentCommand,
  SendCommandCommand,
  UpdateDocumentCommand,
  UpdateDocumentDefaultVersionCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { sleep } from '../time';
import { classifyAwsError } from './errors';

/** Where a command document runs: one EC2 instance. */
export interface CommandTarget {
  region: string;
  instanceId: string;
}

export interface CommandResult {
  commandId: string;
  /** SSM's invocation status: Success, Failed, TimedOut, Cancelled, … ('Undelivered' when it never reached the host). */
  status: string;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command document on an instance and waits for its result. The deployed functions use SSM
 * Run Command ({@link ssmCommandRunner}); the local stack, whose emulator records commands but runs
 * none, executes the same document on the local node.
 */
export type CommandRunner = (
  target: CommandTarget,
  documentName: string,
  parameters: Record<string, string>,
  options: { timeoutSeconds: number },
) => Promise<CommandResult>;

/** SendCommand with the parameters as the document's strings; returns the command id. */
export const sendCommand = async (
  client: SSMClient,
  target: CommandTarget,
  documentName: string,
  parameters: Record<string, string>,
  timeoutSeconds: number,
): Promise<string> => {
  try {
    const out = await client.send(
      new SendCommandCommand({
        DocumentName: documentName,
        InstanceIds: [target.instanceId],
        Parameters: Object.fromEntries(Object.entries(parameters).map(([k, v]) => [k, [v]])),
        TimeoutSeconds: timeoutSeconds,
        Comment: 'pgfo',
      }),
    );
    const id = out.Command?.CommandId;
    if (!id) throw new Error('SendCommand returned no command id');
    return id;
  } catch (error) {
    throw classifyAwsError(error, `ssm:SendCommand ${documentName} on ${target.instanceId}`);
  }
};

const TERMINAL = new Set(['Success', 'Failed', 'TimedOut', 'Cancelled', 'Undeliverable', 'Terminated']);

/**
 * SSM Run Command on the instance: send, then poll the invocation (every 2 s) until it ends or the
 * wait runs out (then status 'Waiting': the command may still be running on the host).
 */
export const ssmCommandRunner =
  (client: (region: string) => SSMClient, pollMs = 2000): CommandRunner =>
  async (target, documentName, parameters, { timeoutSeconds }) => {
    const ssm = client(target.region);
    const commandId = await sendCommand(ssm, target, documentName, parameters, timeoutSeconds);
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
      await sleep(pollMs);
      try {
        const out = await ssm.send(new GetCommandInvocationCommand({ CommandId: commandId, InstanceId: target.instanceId }));
        const status = out.Status ?? 'Pending';
        if (TERMINAL.has(status)) {
          return { commandId, status, stdout: out.StandardOutputContent ?? '', stderr: out.StandardErrorContent ?? '' };
        }
      } catch (error) {
        // Right after SendCommand the invocation may not exist yet.
        if ((error as Error).name !== 'InvocationDoesNotExist') throw classifyAwsError(error, `ssm:GetCommandInvocation ${commandId}`);
      }
      if (Date.now() > deadline) return { commandId, status: 'Waiting', stdout: '', stderr: `no result within ${timeoutSeconds} s` };
    }
  };

/**
 * SSM documents are regional and the deployment creates the rejoin document in the control region
 * only: before a command runs on a node in another region, the same content is copied there
 * (created, or updated and made the default version when it differs). Returns what it did.
 */
export const ensureDocumentIn = async (source: SSMClient, sourceRegion: string, target: SSMClient, targetRegion: string, name: string): Promise<'same-region' | 'present' | 'created' | 'updated'> => {
  if (sourceRegion === targetRegion) return 'same-region';
  let content: string;
  try {
    const out = await source.send(new GetDocumentCommand({ Name: name, DocumentFormat: 'JSON' }));
    content = out.Content ?? '';
  } catch (error) {
    throw classifyAwsError(error, `ssm:GetDocument ${name} in ${sourceRegion}`);
  }
  let existing: string | undefined;
  try {
    existing = (await target.send(new GetDocumentCommand({ Name: name, DocumentFormat: 'JSON' }))).Content ?? '';
  } catch (error) {
    if ((error as Error).name !== 'InvalidDocument') throw classifyAwsError(error, `ssm:GetDocument ${name} in ${targetRegion}`);
  }
  try {
    if (existing === undefined) {
      await target.send(new CreateDocumentCommand({ Name: name, Content: content, DocumentType: 'Command', DocumentFormat: 'JSON' }));
      return 'created';
    }
    if (existing === content) return 'present';
    const updated = await target.send(new UpdateDocumentCommand({ Name: name, Content: content, DocumentFormat: 'JSON', DocumentVersion: '$LATEST' }));
    const version = updated.DocumentDescription?.DocumentVersion;
    if (version) await target.send(new UpdateDocumentDefaultVersionCommand({ Name: name, DocumentVersion: version }));
    return 'updated';
  } catch (error) {
    throw classifyAwsError(error, `ssm:CreateDocument/UpdateDocument ${name} in ${targetRegion}`);
  }
};
