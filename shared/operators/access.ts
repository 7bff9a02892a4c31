/** What calling an operator function can do: `read` only looks, `operate` may change a cluster. */
export type Access = 'read' | 'operate';

/**
 * The functions the pgfo CLI invokes, each with the access its caller needs. `plan` counts as a
 * read: its one DryRun call proves a permission and stops nothing. `rejoin --dry-run` is an operate
 * (IAM cannot tell a dry run from the payload). The operators' IAM policies derive from this table
 * (shared/infra/iam-operators.ts), and test/unit/operator-policies.test.ts checks them against the
 * calls the CLI really makes.
 */
export const OPERATOR_ACCESS = {
  status: 'read',
  plan: 'read',
  history: 'read',
  switchover: 'operate',
  failover: 'operate',
  rejoin: 'operate',
  pause: 'operate',
  resume: 'operate',
  resolve: 'operate',
} as const satisfies Record<string, Access>;

/** Every function the CLI invokes. */
export type InvokedFunction = keyof typeof OPERATOR_ACCESS;

/**
 * The functions that answer the CLI themselves; `failover` starts a workflow execution, which the
 * CLI then follows in Step Functions.
 */
export type OperatorFunction = Exclude<InvokedFunction, 'failover'>;
