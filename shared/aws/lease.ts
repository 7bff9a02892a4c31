import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { classifyAwsError } from './errors';

/**
 * The per-cluster lease that makes failovers and switchovers single-flight, in one DynamoDB table:
 * item (pk = cluster, sk = "lease") is taken with a conditional write — the compare-and-set — and
 * receipts are kept as (pk = cluster, sk = "receipt#<time>#<holder>").
 */
export interface Lease {
  cluster: string;
  holder: string;
  kind: string;
  acquiredAt: number;
  expiresAt: number;
}

/**
 * The cluster record as its latest writer wants it (pk = cluster, sk = "dns"). Every repoint records
 * it before calling Route 53, with the generation of the lease it holds (the time the lease was
 * taken: the lease serialises writers, so a later writer always has a higher generation). It stays
 * `applied: false` until Route 53 accepted the change, so the DNS convergence finishes a repoint
 * that Route 53 refused; a lower generation never replaces a higher one.
 */
export interface DnsIntent {
  cluster: string;
  generation: number;
  node: string;
  target: string;
  holder: string;
  applied: boolean;
  /** Why the last attempt did not apply it (absent once applied). */
  reason?: string;
  changeId?: string;
}

export type LeaseOutcome =
  | { acquired: true; lease: Lease; reentered: boolean }
  | { acquired: false; reason: string; heldBy?: string; cooldownUntil?: number };

const S = (value: string) => ({ S: value });
const N = (value: number) => ({ N: String(value) });

export class LeaseStore {
  /**
   * `stack`: the control region of the stack that uses it (one stack per control region). Its
   * executions are named from the alarm's time, so two stacks alarmed at the same instant name
   * theirs alike: the lease records the stack with the holder, and only the same holder of the same
   * stack takes it again, extends or releases it. Without it (one stack) the holder alone counts.
   */
  constructor(
    private readonly client: DynamoDBClient,
    private readonly table: string,
    private readonly stack?: string,
  ) {}

  /** "holder = :h", and of this stack when the store has one (its values in `values`). */
  private sameHolder(values: Record<string, { S: string } | { N: string }>): string {
    if (!this.stack) return 'holder = :h';
    values[':stack'] = S(this.stack);
    return '(holder = :h AND (attribute_not_exists(holderStack) OR holderStack = :stack))';
  }

  /**
   * Takes the lease unless another holder has it (and it has not expired) or — for automatic
   * failovers — a cooldown after the last completed failover is running. Operators' actions
   * (`ignoreCooldown`) are not held back by the cooldown, only by a running holder. Taking it again
   * as the same holder succeeds (retries).
   */
  async acquire(
    cluster: string,
    holder: string,
    kind: string,
    leaseSeconds: number,
    now = Date.now(),
    options: { ignoreCooldown?: boolean } = {},
  ): Promise<LeaseOutcome> {
    const lease: Lease = { cluster, holder, kind, acquiredAt: now, expiresAt: now + leaseSeconds * 1000 };
    const values: Record<string, { S: string } | { N: string }> = { ':h': S(holder), ':k': S(kind), ':now': N(now), ':exp': N(lease.expiresAt) };
    const same = this.sameHolder(values);
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(cluster), sk: S('lease') },
          UpdateExpression: `SET holder = :h, kind = :k, acquiredAt = if_not_exists(acquiredAt, :now), expiresAt = :exp${this.stack ? ', holderStack = :stack' : ' REMOVE holderStack'}`,
          ConditionExpression: options.ignoreCooldown
            ? `(attribute_not_exists(holder) OR ${same} OR expiresAt < :now)`
            : `(attribute_not_exists(holder) OR ${same} OR expiresAt < :now) AND (attribute_not_exists(cooldownUntil) OR cooldownUntil < :now OR ${same})`,
          ExpressionAttributeValues: values,
          ReturnValues: 'ALL_OLD',
        }),
      );
      return { acquired: true, lease, reentered: false };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException) && (error as Error).name !== 'ConditionalCheckFailedException') {
        throw classifyAwsError(error, `dynamodb:UpdateItem lease ${cluster}`);
      }
    }
    const current = await this.read(cluster);
    if (current.holder && current.expiresAt !== undefined && current.expiresAt >= now) {
      const of = current.stack && current.stack !== this.stack ? ` (the stack in ${current.stack})` : '';
      return { acquired: false, heldBy: current.holder, reason: `${cluster}: ${current.kind ?? 'an operation'} ${current.holder}${of} holds the lease` };
    }
    return {
      acquired: false,
      cooldownUntil: current.cooldownUntil,
      reason: `${cluster}: cooling down after the last failover until ${new Date(current.cooldownUntil ?? now).toISOString()}`,
    };
  }

  /**
   * Asserts that `holder` still has the lease and extends it by `leaseSeconds` from `now`, in one
   * conditional write. Returns false when someone else has it (or nobody does).
   */
  async extend(cluster: string, holder: string, leaseSeconds: number, now = Date.now()): Promise<boolean> {
    const values: Record<string, { S: string } | { N: string }> = { ':h': S(holder), ':exp': N(now + leaseSeconds * 1000) };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(cluster), sk: S('lease') },
          UpdateExpression: 'SET expiresAt = :exp',
          ConditionExpression: this.sameHolder(values),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw classifyAwsError(error, `dynamodb:UpdateItem extend ${cluster}`);
    }
  }

  /** Releases the lease if `holder` has it; `cooldownSeconds` > 0 starts the anti-flap window. */
  async release(cluster: string, holder: string, cooldownSeconds: number, now = Date.now()): Promise<boolean> {
    const values: Record<string, { S: string } | { N: string }> = { ':h': S(holder), ...(cooldownSeconds > 0 ? { ':cool': N(now + cooldownSeconds * 1000) } : {}) };
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(cluster), sk: S('lease') },
          UpdateExpression:
            cooldownSeconds > 0 ? 'REMOVE holder, expiresAt, acquiredAt, holderStack SET cooldownUntil = :cool, lastHolder = :h' : 'REMOVE holder, expiresAt, acquiredAt, holderStack SET lastHolder = :h',
          ConditionExpression: this.sameHolder(values),
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw classifyAwsError(error, `dynamodb:UpdateItem release ${cluster}`);
    }
  }

  /** `stack`: the control region of the stack whose execution holds it (absent: one stack, or none). */
  async read(cluster: string): Promise<{ holder?: string; kind?: string; expiresAt?: number; cooldownUntil?: number; stack?: string }> {
    try {
      const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(cluster), sk: S('lease') }, ConsistentRead: true }));
      const item = out.Item ?? {};
      return {
        holder: item.holder?.S,
        kind: item.kind?.S,
        expiresAt: item.expiresAt?.N ? Number(item.expiresAt.N) : undefined,
        cooldownUntil: item.cooldownUntil?.N ? Number(item.cooldownUntil.N) : undefined,
        ...(item.holderStack?.S ? { stack: item.holderStack.S } : {}),
      };
    } catch (error) {
      throw classifyAwsError(error, `dynamodb:GetItem lease ${cluster}`);
    }
  }

  /**
   * Records the record a writer wants, unless a writer with a higher generation recorded its own.
   * Returns false when superseded (the caller must not touch Route 53 then).
   */
  async recordDnsIntent(intent: Omit<DnsIntent, 'applied' | 'changeId'>): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            pk: S(intent.cluster),
            sk: S('dns'),
            generation: N(intent.generation),
            node: S(intent.node),
            target: S(intent.target),
            holder: S(intent.holder),
            applied: { BOOL: false },
            ...(intent.reason ? { reason: S(intent.reason) } : {}),
          },
          ConditionExpression: 'attribute_not_exists(generation) OR generation <= :g',
          ExpressionAttributeValues: { ':g': N(intent.generation) },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw classifyAwsError(error, `dynamodb:PutItem dns intent ${intent.cluster}`);
    }
  }

  /**
   * Marks the recorded intent of `generation` applied (Route 53 accepted it), or notes why not.
   * Returns false when a newer generation has replaced it meanwhile.
   */
  async settleDnsIntent(cluster: string, generation: number, outcome: { changeId: string } | { reason: string }): Promise<boolean> {
    const applied = 'changeId' in outcome;
    try {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(cluster), sk: S('dns') },
          UpdateExpression: applied ? 'SET applied = :t, changeId = :c REMOVE reason' : 'SET reason = :r',
          ConditionExpression: 'generation = :g',
          ExpressionAttributeValues: { ':g': N(generation), ...(applied ? { ':t': { BOOL: true }, ':c': S(outcome.changeId) } : { ':r': S(outcome.reason.slice(0, 1000)) }) },
        }),
      );
      return true;
    } catch (error) {
      if ((error as Error).name === 'ConditionalCheckFailedException') return false;
      throw classifyAwsError(error, `dynamodb:UpdateItem dns intent ${cluster}`);
    }
  }

  /** The recorded intent of the cluster record, or null when no repoint was ever recorded. */
  async readDnsIntent(cluster: string): Promise<DnsIntent | null> {
    try {
      const out = await this.client.send(new GetItemCommand({ TableName: this.table, Key: { pk: S(cluster), sk: S('dns') }, ConsistentRead: true }));
      const item = out.Item;
      if (!item?.generation?.N) return null;
      return {
        cluster,
        generation: Number(item.generation.N),
        node: item.node?.S ?? '',
        target: item.target?.S ?? '',
        holder: item.holder?.S ?? '',
        applied: item.applied?.BOOL === true,
        ...(item.reason?.S ? { reason: item.reason.S } : {}),
        ...(item.changeId?.S ? { changeId: item.changeId.S } : {}),
      };
    } catch (error) {
      throw classifyAwsError(error, `dynamodb:GetItem dns intent ${cluster}`);
    }
  }

  /** Stores a receipt (idempotent: the same holder and time overwrite the same item). */
  async recordReceipt(cluster: string, holder: string, at: string, receipt: unknown): Promise<void> {
    try {
      await this.client.send(
        new PutItemCommand({
          TableName: this.table,
          Item: { pk: S(cluster), sk: S(`receipt#${at}#${holder}`), receipt: S(JSON.stringify(receipt)) },
        }),
      );
    } catch (error) {
      throw classifyAwsError(error, `dynamodb:PutItem receipt ${cluster}`);
    }
  }

  /** Receipts of one cluster, newest first. */
  async receipts(cluster: string, limit = 20): Promise<unknown[]> {
    try {
      const out = await this.client.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': S(cluster), ':prefix': S('receipt#') },
          ScanIndexForward: false,
          Limit: limit,
        }),
      );
      return (out.Items ?? []).map((item) => JSON.parse(item.receipt?.S ?? 'null') as unknown);
    } catch (error) {
      throw classifyAwsError(error, `dynamodb:Query receipts ${cluster}`);
    }
  }
}
