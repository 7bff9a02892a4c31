import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../../shared/config/load';
import { loadDefinition } from '../../local/state-machine';
import { EXECUTION_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS, RETRY_BACKOFF_SECONDS, TASK_TIMEOUT_SECONDS } from '../../shared/workflow/timeouts';
import { aConfig } from '../fixtures/config';

const withPolicy = (policy: Record<string, number>) => {
  const config = structuredClone(aConfig()) as unknown as { clusters: Array<{ policy: Record<string, unknown> }> };
  Object.assign(config.clusters[0]!.policy, policy);
  return config;
};

describe('timeouts the configuration is checked against', () => {
  it('are the ones serverless.yml and the definition deploy', () => {
    const serverless = parse(readFileSync('serverless.yml', 'utf8').replace(/!Ref /g, '')) as { functions: Record<string, { timeout?: number }> };
    for (const [fn, seconds] of Object.entries(FUNCTION_TIMEOUT_SECONDS)) expect({ fn, timeout: serverless.functions[fn]?.timeout }).toEqual({ fn, timeout: seconds });
    expect(loadDefinition().TimeoutSeconds).toBe(EXECUTION_TIMEOUT_SECONDS);
  });

  it('refuses waits longer than the function that waits, naming the knob, the function and the limit', () => {
    expect(() => parseConfig(withPolicy({ promoteTimeoutSeconds: 100 }), 'x.yml')).toThrow(/policy.promoteTimeoutSeconds: 100 s does not fit in the promoteCandidate function's timeout \(115 s.*at most 90/);
    expect(() => parseConfig(withPolicy({ dnsSyncTimeoutSeconds: 300 }), 'x.yml')).toThrow(/policy.dnsSyncTimeoutSeconds: .*repointDns.*at most 150/);
    expect(() => parseConfig(withPolicy({ fenceTimeoutSeconds: 160 }), 'x.yml')).toThrow(/policy.fenceTimeoutSeconds: .*fencePrimary.*at most 150/);
    // followTimeoutSeconds is capped at 120 by the schema, which fits: the rule holds should either change.
    expect(() => parseConfig(withPolicy({ followTimeoutSeconds: 120 }), 'x.yml')).not.toThrow();
  });

  it('refuses re-checks that outlast the lease, and a failover longer than its execution may run', () => {
    expect(() => parseConfig(withPolicy({ recheckDeadlineSeconds: 900, leaseSeconds: 900 }), 'x.yml')).toThrow(
      /policy.leaseSeconds: 900 s must exceed confirming the outage and choosing the candidate .*: recheckDeadlineSeconds \(900\) \+ \(rechecks \(1\) \+ 1\) × \(recheckAfterSeconds \(5\) \+ ConfirmOutage's 60 s\) \+ SelectCandidate's 60 s = 1090 s; .*at least 1091/,
    );
    expect(() => parseConfig(withPolicy({ recheckDeadlineSeconds: 1700, leaseSeconds: 3600 }), 'x.yml')).toThrow(/exceeds the failover execution's timeout \(1800 s\)/);
  });

  it('refuses a lease shorter than any stretch that runs under one assertion of it, naming the stretch, its knobs and the limit', () => {
    // The default 300 s of re-checks take 490 s at worst: a 480 s lease is refused for that, and for the rejoin.
    const refusal = (() => {
      try {
        parseConfig(withPolicy({ leaseSeconds: 480, recheckDeadlineSeconds: 300, rechecks: 1, recheckAfterSeconds: 5 }), 'x.yml');
      } catch (error) {
        return (error as Error).message;
      }
      return 'accepted';
    })();
    expect(refusal).toMatch(/policy.leaseSeconds: 480 s must exceed confirming the outage .*= 490 s; .*\(at least 491\)/);
    expect(refusal).toMatch(/policy.leaseSeconds: 480 s must exceed the rejoin's command and streaming check: the rejoin document's 840 s \+ the streaming check's 30 s = 870 s/);
    expect(refusal).not.toMatch(/must exceed the fence/);
    // (the fence, promotion and repoint stretches are refused the same way below 185 s, 125 s and 245 s)
    expect(() => parseConfig(withPolicy({ leaseSeconds: 200 }), 'x.yml')).toThrow(/must exceed the repoint, the receipt and the release: .* = 244 s/);
    expect(() => parseConfig(withPolicy({ leaseSeconds: 871, recheckDeadlineSeconds: 300 }), 'x.yml')).not.toThrow();
  });

  it('knows the Task timeouts and the longest retry backoff the definition deploys', () => {
    type Task = { Type: string; TimeoutSeconds?: number; Retry?: Array<{ IntervalSeconds?: number; BackoffRate?: number; MaxAttempts?: number }> };
    type States = Record<string, Task & { Branches?: Array<{ States: States }> }>;
    const tasks: Record<string, Task> = {};
    const collect = (states: States) => {
      for (const [name, state] of Object.entries(states)) {
        if (state.Type === 'Task') tasks[name] = state;
        for (const branch of state.Branches ?? []) collect(branch.States);
      }
    };
    collect(loadDefinition().States as States);
    for (const [name, seconds] of Object.entries(TASK_TIMEOUT_SECONDS)) expect({ name, timeout: tasks[name]?.TimeoutSeconds }).toEqual({ name, timeout: seconds });
    const backoffs = Object.keys(TASK_TIMEOUT_SECONDS).flatMap((name) =>
      (tasks[name]!.Retry ?? []).map((r) => (r.IntervalSeconds ?? 1) * (r.BackoffRate ?? 2) ** ((r.MaxAttempts ?? 3) - 1)),
    );
    expect(Math.max(...backoffs)).toBe(RETRY_BACKOFF_SECONDS);
  });

  it('accepts the defaults', () => {
    expect(() => parseConfig(aConfig(), 'x.yml')).not.toThrow();
  });
});
