import type { ConvergenceFigures, DrillOutcome } from './drill-report';
import { formatDuration } from '../shared/units';
import type { Availability } from './app-client';
import type { Cast, Expectation } from './scenarios';

/** What the drill found, independently of the workflow's own account. */
export interface Observed {
  writers: string[];
  dnsTarget: string | null;
  ssm: Array<{ name: string; region: string; host: string; port: number }>;
  reasons: string[];
  ackedRowsLost: number | null;
  oldPrimaryFenced: boolean;
  app: Availability;
}

/** Promoted = a node other than the old primary takes writes. Pure. */
export const outcomeOf = (writers: string[], oldPrimary: string): { outcome: DrillOutcome; promoted: string | null } => {
  const promoted = writers.find((w) => w !== oldPrimary) ?? null;
  return { outcome: promoted ? 'promoted' : 'not-promoted', promoted };
};

/**
 * Every way the end state differs from what the scenario expects; empty when the drill passed.
 * Each problem is a sentence an operator can act on. Pure.
 */
export const checkExpectations = (expected: Expectation, observed: Observed, cast: Cast, nodes: Cast['primary'][]): string[] => {
  const problems: string[] = [];
  const { outcome, promoted } = outcomeOf(observed.writers, cast.primary.name);
  if (outcome !== expected.outcome || promoted !== expected.promoted) {
    problems.push(`expected ${expected.description}; found ${promoted ? `${promoted} promoted` : 'nothing promoted'}`);
  }
  if (observed.writers.length > 1) problems.push(`split brain: ${observed.writers.join(' and ')} all take writes`);
  // Traffic must point at the promoted node, or stay on the old primary when nothing was promoted.
  const writer = nodes.find((n) => n.name === (expected.promoted ?? cast.primary.name))!;
  if (observed.dnsTarget !== writer.dnsName) problems.push(`DNS points at ${observed.dnsTarget ?? 'nothing'}, expected ${writer.dnsName}`);
  for (const p of observed.ssm) {
    if (p.host !== writer.host || p.port !== writer.port) {
      problems.push(`DATABASE_URL ${p.name} in ${p.region} points at ${p.host}:${p.port}, expected ${writer.name} (${writer.host}:${writer.port})`);
    }
  }
  if (expected.zeroLoss && observed.ackedRowsLost !== 0) {
    problems.push(`${observed.ackedRowsLost ?? 'an unknown number of'} acknowledged row(s) lost where none may be`);
  }
  if (expected.reason && !observed.reasons.some((r) => expected.reason!.test(r))) {
    problems.push(`no reason matches ${expected.reason}: ${observed.reasons.join('; ') || '(none)'}`);
  }
  if (expected.outcome === 'promoted' && !observed.app.recovered) problems.push('the application did not write again through DATABASE_URL');
  if (!expected.promoted && observed.writers.includes(cast.primary.name) && observed.app.interrupted && !expected.appMayStall) {
    problems.push(`the application lost writes although ${cast.primary.name} stayed the writer`);
  }
  if (expected.promoted && expected.promoted === cast.dr?.name && !observed.oldPrimaryFenced) {
    problems.push(`the old primary ${cast.primary.name} is not fenced (instance stopped, PostgreSQL down)`);
  }
  return problems;
};

/**
 * What the convergence had to finish, against the issue's goal: each figure measured within it, and
 * an incident restarted by the convergence itself (not by a later alarm event). Pure.
 */
export const convergenceProblems = (figures: ConvergenceFigures | null): string[] => {
  if (!figures) return [];
  const problems: string[] = [];
  for (const [what, ms] of [
    ['every DATABASE_URL on the writer', figures.urlsOnWriterMs],
    ['the failover started', figures.failoverStartedMs],
  ] as const) {
    if (ms !== null && ms > figures.goalMs) problems.push(`${figures.dependency} answering → ${what} took ${formatDuration(ms)}, above the goal of ${formatDuration(figures.goalMs)}`);
  }
  if (figures.startedBy === 'alarm') problems.push(`the failover after ${figures.dependency} answered was started by a new alarm event, not by the convergence: the restart was not exercised`);
  return problems;
};
