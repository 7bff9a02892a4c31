import * as z from 'zod';
import { nameSchema } from '../config/schema';
import { operatorNameSchema } from '../workflow/state';

// Names as the configuration defines them: anything else cannot name a cluster or node, and is
// refused by its field before it reaches a lookup, an error message or a log line.
const clusterName = nameSchema;
const nodeName = nameSchema;

/** Operator requests: every field named, nothing unknown accepted. */
export const switchoverRequestSchema = z.strictObject({
  cluster: clusterName,
  to: nodeName,
  catchUpTimeoutSeconds: z.number().int().min(1).max(600).default(30),
  /** Leave the old primary aside, read-only, instead of rejoining it as a standby of the new writer. @default false */
  noRejoin: z.boolean().default(false),
});

export const manualFailoverRequestSchema = z.strictObject({
  cluster: clusterName,
  /** Promote this node instead of the one the policy prefers. */
  to: nodeName.optional(),
  /** Skip the lag guard; the receipt records that the operator accepted data loss. */
  acceptDataLoss: z.boolean().default(false),
  reason: z.string().max(500).default('operator-declared outage'),
  /** The person accepting that traffic moves even if the old writer cannot be proven stopped
   * (the fence still runs; the receipt names them). */
  acceptUnfencedBy: operatorNameSchema.optional(),
});

export const planRequestSchema = z.strictObject({
  cluster: clusterName,
  to: nodeName.optional(),
});

export const statusRequestSchema = z.strictObject({
  cluster: clusterName.optional(),
});

export const historyRequestSchema = z.strictObject({
  cluster: clusterName.optional(),
  limit: z.number().int().min(1).max(100).default(20),
});

/** How a rejoin brings a node back: pg_rewind, a base backup, or rewind falling back to a base backup. */
export const REJOIN_MODES = ['auto', 'rewind', 'basebackup'] as const;

export const rejoinRequestSchema = z.strictObject({
  cluster: clusterName,
  /** The fenced or diverged node to bring back as a standby of the current writer. */
  node: nodeName,
  /** Report what would be discarded (bytes and commits written after the fork), change nothing. */
  dryRun: z.boolean().default(false),
  /** auto: pg_rewind, or a fresh base backup when rewind cannot work. @default auto */
  mode: z.enum(REJOIN_MODES).default('auto'),
});

/** Who asks, as the receipts and status show it (an IAM principal or a person's name). */
const actor = z
  .string()
  .min(1)
  .max(200)
  .refine((value) => [...value].every((c) => c.charCodeAt(0) >= 32), 'a name without control characters');

export const pauseRequestSchema = z.strictObject({
  cluster: clusterName,
  by: actor.default('operator'),
  reason: z.string().max(500).default('no reason given'),
});

export const resolveRequestSchema = z.strictObject({
  cluster: clusterName,
  /** The node that accepts writes, to be recorded as the writer. */
  writer: nodeName,
  by: actor.default('operator'),
  /** Required: the record keeps why an operator overrode it. */
  reason: z.string().min(1).max(500),
});

export const resumeRequestSchema = z.strictObject({
  cluster: clusterName,
  by: actor.default('operator'),
});

/** The operator functions the CLI calls (each a Lambda of its own, and a local handler). */
export type { OperatorFunction } from './access';
