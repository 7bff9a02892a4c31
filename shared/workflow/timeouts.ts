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
