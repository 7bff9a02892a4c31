import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { parseConfig } from '../../shared/config/load';
import { loadDefinition } from '../../local/state-machine';
import { EXECUTION_TIMEOUT_SECONDS, FUNCTION_TIMEOUT_SECONDS } from '../../shared/workflow/timeouts';
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
    expect(() => parseConfig(withPolicy({ recheckDeadlineSeconds: 900, leaseSeconds: 900 }), 'x.yml')).toThrow(/recheckDeadlineSeconds \+ \(rechecks \+ 1\) × recheckAfterSeconds = 900 \+ 2 × 5 = 910 s must be below policy.leaseSeconds \(900 s\)/);
    expect(() => parseConfig(withPolicy({ recheckDeadlineSeconds: 1700, leaseSeconds: 3600 }), 'x.yml')).toThrow(/exceeds the failover execution's timeout \(1800 s\)/);
  });

  it('accepts the defaults', () => {
    expect(() => parseConfig(aConfig(), 'x.yml')).not.toThrow();
  });
});
