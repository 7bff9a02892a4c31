/**
 * The convergence's decisions: what the world should say (every DATABASE_URL and the cluster
 * record name the recorded writer; a failover alarm in ALARM has an execution handling it) against
 * what it says, and what to repair. Pure: no client, no clock; every verdict carries its reason.
 */

/** A published endpoint: where it points, or why it could not be read. */
export type Observed<T> = { ok: true; value: T } | { ok: false; reason: string };

/** One region's DATABASE_URL as read: the node it names (null: no configured node), host and port. */
export interface UrlSeen {
  region: string;
  name: string;
  node: string | null;
  host: string;
  port: number;
}

/** The DNS intent as the lease table keeps it (see LeaseStore.readDnsIntent). */
export interface DnsIntentSeen {
  node: string;
  generation: number;
  applied: boolean;
  reason?: string;
}

export interface PublishedFacts {
  /** The writer the cluster record names, and since when (its last incident, or its last update). */
  writer: string;
  since: string;
  urls: Array<{ region: string; name: string; seen: Observed<UrlSeen> }>;
  /** The node the cluster record (CNAME) names (null: no configured node, or no record). */
  dns: Observed<{ node: string | null; target: string | null }>;
  intent: Observed<DnsIntentSeen | null>;
}

export type Repair =
  | { kind: 'database-url'; region: string; name: string; from: string | null; to: string; since: string; reason: string }
  | { kind: 'dns'; from: string | null; to: string; since: string; reason: string; via: 'intent' | 'repoint' };

/** Something that should be checked and could not be: never repaired blind, always said. */
export interface Unchecked {
  what: string;
  reason: string;
}

export interface RepairPlan {
  repairs: Repair[];
  unchecked: Unchecked[];
}

/**
 * What to repair so that every DATABASE_URL and the cluster record name the recorded writer.
 * A pending DNS intent for the writer is finished as recorded (its generation stands); a record
 * that names another node with no pending intent for the writer gets a new repoint.
 */
export const planRepairs = (facts: PublishedFacts): RepairPlan => {
  const { writer, since } = facts;
  const repairs: Repair[] = [];
  const unchecked: Unchecked[] = [];
  for (const url of facts.urls) {
    const where = `DATABASE_URL ${url.region} ${url.name}`;
    if (!url.seen.ok) {
      unchecked.push({ what: where, reason: url.seen.reason });
      continue;
    }
    if (url.seen.value.node === writer) continue;
    const named = url.seen.value.node ?? `${url.seen.value.host}:${url.seen.value.port} (no configured node)`;
    repairs.push({ kind: 'database-url', region: url.region, name: url.name, from: url.seen.value.node, to: writer, since, reason: `${where} names ${named}, writer is ${writer}` });
  }
  if (!facts.intent.ok) unchecked.push({ what: 'DNS intent', reason: facts.intent.reason });
  else if (!facts.dns.ok) unchecked.push({ what: 'cluster record', reason: facts.dns.reason });
  else {
    const intent = facts.intent.value;
    const current = facts.dns.value.node;
    const named = current ?? facts.dns.value.target ?? 'nothing';
    if (intent && !intent.applied && intent.node === writer) {
      repairs.push({ kind: 'dns', from: current, to: writer, since, via: 'intent', reason: `cluster record repoint to ${writer} (generation ${intent.generation}) not applied: ${intent.reason ?? 'Route 53 did not take it'}` });
    } else if (current !== writer) {
      repairs.push({ kind: 'dns', from: current, to: writer, since, via: 'repoint', reason: `cluster record names ${named}, writer is ${writer}` });
    }
  }
  return { repairs, unchecked };
};

/** What may hold a stranded alarm back, as read after the repairs (each an answer or why not). */
export interface RestartFacts {
  alarm: Observed<{ name: string; state: string | null; since: string | null }>;
  lease: Observed<{ holder?: string; kind?: string; expiresAt?: number; cooldownUntil?: number }>;
  paused: Observed<string | null>;
  /** The cluster's executions running, or started since the alarm entered ALARM (its episode). */
  executions: Observed<ExecutionSeen[]>;
  now: number;
}

/** One failover execution as Step Functions lists it (times in ms since the epoch). */
export interface ExecutionSeen {
  name: string;
  status: string;
  startedAt: number;
  stoppedAt: number | null;
}

/**
 * How often one alarm episode (the alarm's stay in ALARM, dated by its last state change) may
 * start an incident, when each ends without settling it (failed on a dependency, refused,
 * undecided). CloudWatch sends one event per state change, so without restarts an outage behind a
 * false alarm or a blip would never be handled; without a bound a refusal would be asked again
 * every pass.
 */
export const RESTART_POLICY = {
  /**
   * Seconds the second restart of an episode waits after the incident before it ended; each later
   * one waits twice as long. The first restart waits for nothing but what holds it back. @default 30
   */
  firstBackoffSeconds: 30,
  /** Incidents (the alarm's own and the restarts) one episode may start; then only a person or a new state change of the alarm starts one. @default 4 */
  maxIncidents: 4,
} as const;

/** `held`: the alarm may be in ALARM and nothing was started (held back, or not checkable): said in the log. */
export type RestartVerdict = { start: true; alarm: string; since: string; reason: string } | { start: false; reason: string; since?: string; held?: true };

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Whether a failover alarm still in ALARM with nothing handling it starts a new incident. Fails
 * closed: anything that could not be checked is a reason not to start, named as such.
 */
export const decideRestart = (facts: RestartFacts): RestartVerdict => {
  if (!facts.alarm.ok) return { start: false, held: true, reason: `could not check the failover alarm: ${facts.alarm.reason}` };
  const { name, state, since } = facts.alarm.value;
  if (state === null) return { start: false, reason: `${name} does not exist` };
  if (state !== 'ALARM') return { start: false, reason: `${name} is ${state}: nothing to do` };
  const held = (reason: string) => ({ start: false as const, held: true as const, reason: `${name} in ALARM${since ? ` since ${since}` : ''}, not started: ${reason}`, ...(since ? { since } : {}) });
  if (!facts.executions.ok) return held(`could not check for a running execution: ${facts.executions.reason}`);
  const running = facts.executions.value.filter((e) => e.status === 'RUNNING');
  if (running.length > 0) return held(`execution ${running.map((e) => e.name).join(', ')} is running`);
  if (!facts.lease.ok) return held(`could not check the lease: ${facts.lease.reason}`);
  const lease = facts.lease.value;
  if (lease.holder && lease.expiresAt !== undefined && lease.expiresAt >= facts.now) return held(`${lease.kind ?? 'an operation'} ${lease.holder} holds the lease until ${iso(lease.expiresAt)}`);
  if (lease.cooldownUntil !== undefined && lease.cooldownUntil >= facts.now) return held(`cooling down after the last failover until ${iso(lease.cooldownUntil)}`);
  if (!facts.paused.ok) return held(`could not check whether automatic failover is paused: ${facts.paused.reason}`);
  if (facts.paused.value) return held(`automatic failover is ${facts.paused.value}`);
  const backoff = episodeBackoff(facts.executions.value, since === null ? null : Date.parse(since), facts.now);
  if (backoff) return held(backoff);
  const at = since ?? iso(facts.now);
  return { start: true, alarm: name, since: at, reason: `${name} in ALARM since ${at} with no execution running and nothing holding it back: a new incident starts` };
};

/**
 * Why the alarm's episode may not start another incident yet (null: it may): its incidents so far
 * (started at or after `since`, each ended) against RESTART_POLICY.
 */
export const episodeBackoff = (executions: ExecutionSeen[], since: number | null, now: number): string | null => {
  const tried = executions.filter((e) => e.status !== 'RUNNING' && (since === null || e.startedAt >= since)).sort((a, b) => a.startedAt - b.startedAt);
  const last = tried.at(-1);
  if (!last) return null;
  const { firstBackoffSeconds, maxIncidents } = RESTART_POLICY;
  const summary = `${tried.length} incident(s) of this alarm episode ended without settling it (last ${last.name} ${last.status})`;
  if (tried.length >= maxIncidents) return `${summary}: no more automatic restarts until the alarm changes state; a person decides (pgfo plan, pgfo failover)`;
  if (tried.length === 1) return null;
  const next = (last.stoppedAt ?? last.startedAt) + firstBackoffSeconds * 1000 * 2 ** (tried.length - 2);
  return next > now ? `${summary}: backing off until ${iso(next)}` : null;
};

/** "DATABASE_URL us-west-2 /orders/prod/DATABASE_URL names primary, writer is standby_dr, pending since T". */
export const describeRepair = (repair: Repair): string => `${repair.reason}, pending since ${repair.since}`;
