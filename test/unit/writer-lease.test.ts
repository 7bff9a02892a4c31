import { agentTurn, gateOutage, judgeWriterLease, mayTakeWriterLease, monitorSeed, promotionGate, type WriterLease } from '../../shared/decisions/writer-lease';
import { WriterAgent, type AgentPostgres, type AgentStore } from '../../shared/host/writer-agent';
import { semanticProblems } from '../../shared/config/rules';
import { generateResources } from '../../shared/infra/resources';
import { configForStack } from '../../shared/infra/stack';
import { storeAnswers, withScopeRegion } from '../../local/store-network';
import { aConfig } from '../fixtures/config';

const aLease = (over: Partial<WriterLease> = {}): WriterLease => ({ node: 'db1', generation: 3, counter: 7, revokedBy: null, ...over });
const at = (seconds: number) => new Date(Date.UTC(2026, 11, 6, 8, 0, seconds));

describe('mayTakeWriterLease: the writer role is granted positively', () => {
  it('refuses without a record, and when the record names another node', () => {
    expect(mayTakeWriterLease('db1', null, null)).toMatchObject({ take: false, reason: expect.stringContaining('record is absent') });
    expect(mayTakeWriterLease('db1', { writer: 'db2', generation: 4 }, null)).toMatchObject({ take: false, reason: expect.stringContaining('names db2') });
  });

  it('takes a first lease at the record generation and keeps its own at the lease generation', () => {
    expect(mayTakeWriterLease('db1', { writer: 'db1', generation: 4 }, null)).toMatchObject({ take: true, generation: 4 });
    expect(mayTakeWriterLease('db1', { writer: 'db1', generation: 9 }, aLease())).toMatchObject({ take: true, generation: 3 });
  });

  it("yields another node's older lease to the record, never takes back its own revoked lease", () => {
    expect(mayTakeWriterLease('db3', { writer: 'db3', generation: 5 }, aLease())).toMatchObject({ take: true, generation: 5 });
    expect(mayTakeWriterLease('db3', { writer: 'db3', generation: 2 }, aLease())).toMatchObject({ take: false });
    expect(mayTakeWriterLease('db1', { writer: 'db1', generation: 9 }, aLease({ revokedBy: 'exec-1' }))).toMatchObject({ take: false, reason: expect.stringContaining('revoked') });
  });
});

describe('agentTurn: the agent stops PostgreSQL before the control plane may promote past it', () => {
  const base = { now: 10_000, lastRenewalSentAt: 5_000, stopped: false, stopAfterSeconds: 5 };
  it('waits while the last renewal is younger than the limit, stops at the limit', () => {
    expect(agentTurn({ ...base, now: 9_000, attempt: 'failed' }).action).toBe('none');
    expect(agentTurn({ ...base, attempt: 'failed' })).toMatchObject({ action: 'stop', reason: expect.stringContaining('could not be renewed for 5.0 s') });
  });
  it('starts again only what it stopped, once a renewal succeeds', () => {
    expect(agentTurn({ ...base, stopped: true, attempt: 'renewed' }).action).toBe('start');
    expect(agentTurn({ ...base, stopped: false, attempt: 'renewed' }).action).toBe('none');
  });
  it('stops at once when the lease is no longer its own', () => {
    expect(agentTurn({ ...base, now: 5_001, attempt: 'refused' }).action).toBe('stop');
  });
});

describe('judgeWriterLease: on the control plane clock only', () => {
  it('is held until the same counter stayed for a full lease, then expired', () => {
    const first = judgeWriterLease('db1', aLease(), null, at(0), 10);
    expect(first).toMatchObject({ lease: 'held', renewing: false });
    const later = judgeWriterLease('db1', aLease(), first.observation, at(9), 10);
    expect(later.lease).toBe('held');
    expect(judgeWriterLease('db1', aLease(), later.observation, at(10), 10)).toMatchObject({ lease: 'expired', detail: expect.stringContaining('stayed at 7 for 10.0 s') });
  });
  it('sees renewals as a changed counter and starts counting again', () => {
    const first = judgeWriterLease('db1', aLease(), null, at(0), 10);
    const renewed = judgeWriterLease('db1', aLease({ counter: 8 }), first.observation, at(20), 10);
    expect(renewed).toMatchObject({ lease: 'held', renewing: true });
  });
  it('is unknown when unreadable, never taken, or naming another node', () => {
    expect(judgeWriterLease('db1', 'unreadable', null, at(0), 10).lease).toBe('unknown');
    expect(judgeWriterLease('db1', null, null, at(0), 10).lease).toBe('unknown');
    expect(judgeWriterLease('db1', aLease({ node: 'db2' }), null, at(0), 10).lease).toBe('unknown');
  });
});

describe("monitorSeed: the count starts at the monitor's first sight of the current counter", () => {
  const points = (...values: Array<[seconds: number, counter: number]>) => values.map(([seconds, value]) => ({ at: at(seconds).getTime(), value }));
  it('starts at the end of the first second of the run of the current counter that ends the series', () => {
    const seed = monitorSeed(aLease(), points([0, 5], [2, 6], [4, 7], [6, 7], [8, 7]), 1000);
    expect(seed).toEqual({ node: 'db1', generation: 3, counter: 7, since: at(5).toISOString(), renewing: false, seenBy: 'monitor' });
  });
  it('seeds nothing when the newest point is not the current counter, or there is no point', () => {
    expect(monitorSeed(aLease(), points([0, 7], [2, 6]), 1000)).toBeNull();
    expect(monitorSeed(aLease({ counter: 8 }), points([0, 7], [2, 7]), 1000)).toBeNull();
    expect(monitorSeed(aLease(), [], 1000)).toBeNull();
  });
  it("lets a lease expire a full lease after the monitor's first sight, and says so", () => {
    const seed = monitorSeed(aLease(), points([0, 7], [2, 7]), 1000);
    expect(judgeWriterLease('db1', aLease(), seed, at(10), 10)).toMatchObject({ lease: 'held', detail: expect.stringContaining(`counter 7 first seen by the monitor at ${at(1).toISOString()}`) });
    expect(judgeWriterLease('db1', aLease(), seed, at(11), 10)).toMatchObject({ lease: 'expired', detail: expect.stringContaining('first seen by the monitor') });
    expect(judgeWriterLease('db1', aLease({ counter: 8 }), seed, at(11), 10)).toMatchObject({ lease: 'held', renewing: true });
  });
});

describe('promotionGate and gateOutage', () => {
  const held = judgeWriterLease('db1', aLease(), null, at(0), 10);
  const unknown = judgeWriterLease('db1', null, null, at(0), 10);
  const confirmed = { decision: 'confirmed' as const, reason: 'outage confirmed', streak: 2 };
  it('never promotes past a held lease: waits for one not yet run out, refuses a renewing one', () => {
    expect(gateOutage(confirmed, promotionGate({ lease: held, witness: 'not-configured', crossRegion: true })).decision).toBe('recheck');
    const renewing = { ...held, renewing: true };
    expect(gateOutage(confirmed, promotionGate({ lease: renewing, witness: 'not-configured', crossRegion: true }))).toMatchObject({ decision: 'not-confirmed', reason: expect.stringContaining('writer lease held') });
  });
  it('promotes past an expired lease, also across regions, and accepts an unreachable fence then', () => {
    const expired = { ...held, lease: 'expired' as const };
    expect(promotionGate({ lease: expired, witness: 'unknown', crossRegion: true })).toMatchObject({ promote: true, fenceUnreachableAcceptable: true });
  });
  it('keeps today behaviour for an unknown lease unless a witness sees the writer alive or cannot tell', () => {
    expect(promotionGate({ lease: unknown, witness: 'not-configured', crossRegion: true }).promote).toBe(true);
    expect(promotionGate({ lease: unknown, witness: 'sees-alive', crossRegion: true }).promote).toBe(false);
    expect(promotionGate({ lease: unknown, witness: 'unknown', crossRegion: true }).promote).toBe(false);
    expect(promotionGate({ lease: unknown, witness: 'sees-alive', crossRegion: false }).promote).toBe(true);
  });
});

describe('WriterAgent: one host, its own clock', () => {
  const setup = () => {
    let clock = 0;
    const calls: string[] = [];
    const lease: { value: WriterLease | null; reachable: boolean } = { value: null, reachable: true };
    const reach = () => {
      if (!lease.reachable) throw new Error('store unreachable');
    };
    const store: AgentStore = {
      read: async () => (reach(), { record: { writer: 'db1', generation: 3 }, lease: lease.value }),
      take: async (generation) => (reach(), (lease.value = aLease({ generation, counter: 1 })), true),
      renew: async (generation) => {
        reach();
        if (!lease.value || lease.value.generation !== generation || lease.value.revokedBy) return null;
        lease.value = { ...lease.value, counter: lease.value.counter + 1 };
        return lease.value.counter;
      },
    };
    const server = { running: true };
    const postgres: AgentPostgres = {
      running: async () => server.running,
      stop: async () => void calls.push('stop'),
      start: async () => void calls.push('start'),
    };
    const agent = new WriterAgent(store, postgres, { node: 'db1', leaseSeconds: 10, renewSeconds: 2, now: () => clock });
    return { agent, calls, lease, server, tick: (ms: number) => (clock += ms) };
  };

  it('takes the lease the record grants, stops PostgreSQL after half a lease without renewal and starts it once it renews again', async () => {
    const { agent, calls, lease, tick } = setup();
    await agent.turn();
    expect(agent.state).toMatchObject({ holding: true, generation: 3 });
    lease.reachable = false;
    for (let i = 0; i < 2; i += 1) await (tick(2000), agent.turn());
    expect(calls).toEqual([]);
    await (tick(1000), agent.turn());
    expect(calls).toEqual(['stop']);
    await (tick(2000), agent.turn());
    expect(calls).toEqual(['stop']);
    lease.reachable = true;
    await (tick(2000), agent.turn());
    expect(calls).toEqual(['stop', 'start']);
  });

  it('stays down for good once the lease was revoked', async () => {
    const { agent, calls, lease, tick } = setup();
    await agent.turn();
    lease.value = { ...lease.value!, revokedBy: 'exec-1' };
    await (tick(2000), agent.turn());
    await (tick(2000), agent.turn());
    expect(calls).toEqual(['stop']);
    expect(agent.state.holding).toBe(false);
  });
});

describe('WriterAgent: a crashed server lets the lease lapse', () => {
  it('does not renew while PostgreSQL is down and it did not stop it', async () => {
    let clock = 0;
    let renewals = 0;
    const store: AgentStore = {
      read: async () => ({ record: { writer: 'db1', generation: 3 }, lease: null }),
      take: async () => true,
      renew: async () => ++renewals,
    };
    const server = { running: true };
    const agent = new WriterAgent(store, { running: async () => server.running, stop: async () => undefined, start: async () => undefined }, { node: 'db1', leaseSeconds: 10, renewSeconds: 2, now: () => clock });
    await agent.turn();
    await (clock += 2000, agent.turn());
    expect(renewals).toBe(1);
    server.running = false;
    await (clock += 2000, agent.turn());
    expect(renewals).toBe(1);
  });
});

describe('where the lease lives', () => {
  const withStore = (replicaRegions: string[], witnessRegion: string) => {
    const config = aConfig();
    config.deployment.writerLease = { replicaRegions, witnessRegion };
    return config;
  };

  /** The resources of the stack in `region` (undefined: the home region's). */
  const stackIn = (config: ReturnType<typeof aConfig>, region?: string) =>
    generateResources({ config: configForStack(config, region, 'clusters.yml'), service: 'pgfo', stage: 'prod' }) as Record<string, { Type: string; Properties: Record<string, unknown> }>;

  it('is a global table with multi-Region strong consistency, two replicas and a witness, declared by the home stack only', () => {
    const config = withStore(['us-west-2', 'us-east-2'], 'us-east-1');
    const { LeaseTable } = stackIn(config);
    expect(LeaseTable!.Type).toBe('AWS::DynamoDB::GlobalTable');
    expect(LeaseTable!.Properties).toMatchObject({
      TableName: 'pgfo-prod-leases',
      MultiRegionConsistency: 'STRONG',
      GlobalTableWitnesses: [{ Region: 'us-east-1' }],
      Replicas: [expect.objectContaining({ Region: 'us-west-2', DeletionProtectionEnabled: true }), expect.objectContaining({ Region: 'us-east-2' })],
    });
    // The other control region's stack creates no table: it uses the replica in its own region.
    expect(Object.values(stackIn(config, 'us-east-2')).filter((r) => r.Type.startsWith('AWS::DynamoDB::'))).toEqual([]);
  });

  it('is a regional table of the only stack without a writer lease', () => {
    const config = aConfig();
    config.controlRegions = ['us-east-2'];
    config.controlRegion = 'us-east-2';
    delete config.deployment.writerLease;
    expect(semanticProblems(config)).toEqual([]);
    expect(stackIn(config).LeaseTable).toMatchObject({ Type: 'AWS::DynamoDB::Table', Properties: { TableName: 'pgfo-prod-leases', DeletionProtectionEnabled: true } });
  });

  it('refuses regions outside one supported set, a repeated region, and a control region that is not a replica', () => {
    expect(semanticProblems(withStore(['us-west-2', 'eu-west-1'], 'us-east-1')).join('\n')).toMatch(/not all in one region set that supports multi-Region strong consistency/);
    expect(semanticProblems(withStore(['us-west-2', 'us-west-2'], 'us-east-1')).join('\n')).toMatch(/three different regions/);
    expect(semanticProblems(withStore(['us-east-2', 'us-east-1'], 'us-west-2')).join('\n')).toMatch(/must include the control region us-west-2/);
    expect(semanticProblems(withStore(['us-west-2', 'us-east-2'], 'us-east-1'))).toEqual([]);
  });

  it('answers a region only while a replica it reaches reaches a majority of the three (the local model)', () => {
    const store = { replicaRegions: ['us-west-2', 'us-east-1'], witnessRegion: 'us-east-2' };
    const cut = (pairs: string[][]) => (a: string, b: string) => a === b || !pairs.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
    const isolated = cut([['us-east-1', 'us-west-2'], ['us-east-1', 'us-east-2']]);
    expect(storeAnswers('us-east-1', store, isolated)).toBe(false);
    expect(storeAnswers('us-west-2', store, isolated)).toBe(true);
    const partition = cut([['us-east-1', 'us-west-2']]);
    expect([storeAnswers('us-east-1', store, partition), storeAnswers('us-west-2', store, partition)]).toEqual([true, true]);
  });

  it("lands every control plane's call on the one copy: the SigV4 scope's region becomes the table's, nothing else changes (the local model)", () => {
    const authorization = 'AWS4-HMAC-SHA256 Credential=AKID/20261206/us-east-2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc';
    const headers = withScopeRegion({ authorization, 'x-amz-target': 'DynamoDB_20120810.GetItem' }, 'us-west-2');
    expect(headers).toEqual({
      authorization: 'AWS4-HMAC-SHA256 Credential=AKID/20261206/us-west-2/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc',
      'x-amz-target': 'DynamoDB_20120810.GetItem',
    });
    expect(withScopeRegion({ host: 'x' }, 'us-west-2')).toEqual({ host: 'x' });
  });
});
