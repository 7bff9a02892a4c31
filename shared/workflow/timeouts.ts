/**
 * Timeouts the deployment sets, seconds, that the configuration's knobs must fit in. serverless.yml
 * and statemachines/failover.asl.json state them; test/unit/timeouts.test.ts fails when they differ.
 */
export const EXECUTION_TIMEOUT_SECONDS = 1800;

export const FUNCTION_TIMEOUT_SECONDS = {
  fencePrimary: 175,
  promoteCandidate: 115,
  repointDns: 175,
  repointFollowers: 175,
  switchover: 300,
} as const;

/** Time a step needs besides the wait its knob sets (connections, SSM reads, the API calls themselves). */
export const STEP_OVERHEAD_SECONDS = 25;

/**
 * TimeoutSeconds of the failover definition's Tasks that run under the lease: the longest one attempt
 * of each step can take (the definition stops waiting then; each Task's timeout exceeds its function's,
 * so the function is gone by then). test/unit/timeouts.test.ts fails when the definition differs.
 */
export const TASK_TIMEOUT_SECONDS = {
  ConfirmOutage: 60,
  SelectCandidate: 60,
  FencePrimary: 180,
  PromoteCandidate: 120,
  RewriteDatabaseUrl: 60,
  RepointDns: 180,
  RepointFollowers: 180,
  PublishReceipt: 30,
  ReleaseLease: 30,
} as const;

/** The longest wait between two attempts of a retried Task (IntervalSeconds 1, BackoffRate 2, 3 attempts: 1, 2, 4 s). */
export const RETRY_BACKOFF_SECONDS = 4;

/**
 * How long the rejoin document may run on the host (its SSM Run Command timeout): it fits the rejoin
 * function's 900 s (Lambda's limit) with a minute left for the streaming check. A base backup of a
 * node larger than the link can copy in that time needs the document run by hand (docs).
 */
export const REJOIN_TIMEOUT_SECONDS = 840;

/** How long the rejoin watches the writer for the node streaming, once the document reported it did. */
export const REJOIN_STREAMING_CHECK_SECONDS = 30;
