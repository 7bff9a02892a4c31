import { buildReceipt } from '../../shared/decisions/receipt';
import {
  aChosenCandidate,
  aDatabaseUrl,
  aDns,
  aFollowers,
  aDnsPending,
  aFence,
  aLease,
  anExecution,
  anOutage,
  aPromotedExecution,
  aPromotion,
  aRefusedCandidate,
  aRepoint,
  timing,
} from '../fixtures/decisions';

const NOW = new Date('2026-11-26T12:01:30.000Z');

describe('buildReceipt: what a failover did and why', () => {
  describe('outcome', () => {
    it('is "promoted" when a node was promoted, naming it and the primary it replaced', () => {
      const receipt = buildReceipt(aPromotedExecution(), NOW);
      expect(receipt).toMatchObject({ outcome: 'promoted', promoted: 'standby_dr', previousPrimary: 'primary', alreadyPrimary: false, error: null });
    });

    it('is "lease-held" when another execution holds the lease, with the lease’s reason', () => {
      const receipt = buildReceipt(anExecution({ lease: aLease({ acquired: false, reason: 'held by orders-alarm-20261126115000000' }) }), NOW);
      expect(receipt.outcome).toBe('lease-held');
      expect(receipt.reasons).toEqual(['held by orders-alarm-20261126115000000']);
    });

    it('says "lease not acquired" when the lease step gave no reason', () => {
      expect(buildReceipt(anExecution({ lease: aLease({ acquired: false }) }), NOW).reasons).toEqual(['lease not acquired']);
    });

    it('is "no-failover" when an automatic run could not confirm the outage, with the outage’s reason', () => {
      const reason = 'primary answers the database probe: no failover (select 1 in 3 ms)';
      const receipt = buildReceipt(anExecution({ lease: aLease(), outage: anOutage({ decision: 'not-confirmed', reason }) }), NOW);
      expect(receipt).toMatchObject({ outcome: 'no-failover', promoted: null, previousPrimary: 'primary', dataLoss: null, reasons: [reason] });
    });

    it('does not call a manual failover "no-failover" because the outage was not confirmed (the operator decided)', () => {
      const manual = aPromotedExecution({ mode: 'manual', outage: anOutage({ decision: 'not-confirmed', reason: 'primary answers the database probe' }) });
      expect(buildReceipt(manual, NOW).outcome).toBe('promoted');
    });

    it('is "refused" when no candidate may be promoted, with the candidate step’s reasons', () => {
      const refusal = 'no standby may be promoted: standby_dr is 30 MB behind (cap 16 MB)';
      const receipt = buildReceipt(anExecution({ lease: aLease(), outage: anOutage(), candidate: aRefusedCandidate(refusal) }), NOW);
      expect(receipt.outcome).toBe('refused');
      expect(receipt.promoted).toBeNull();
      expect(receipt.dataLoss).toBeNull();
      expect(receipt.reasons).toEqual([anOutage().reason, 'region us-east-1 is out: a standby in another region preferred', refusal]);
    });

    it('is "refused" when fencing says not to proceed, with the fencing reason', () => {
      const fence = aFence({ fenced: false, proceed: false, instanceState: 'running', reason: 'primary instance did not stop within 60 s' });
      const receipt = buildReceipt(anExecution({ lease: aLease(), outage: anOutage(), candidate: aChosenCandidate(), fence }), NOW);
      expect(receipt.outcome).toBe('refused');
      expect(receipt.fencing).toEqual({ node: 'primary', fenced: false, reason: 'primary instance did not stop within 60 s', instanceState: 'running', acceptedUnfencedBy: null });
      expect(receipt.reasons.at(-1)).toBe('primary instance did not stop within 60 s');
    });

    it('is "failed" when a step failed, with the error’s name and the message out of the Lambda’s JSON cause', () => {
      const error = { Error: 'PromotionTimeout', Cause: JSON.stringify({ errorType: 'PromotionTimeout', errorMessage: 'standby_dr still in recovery after 30 s' }) };
      const receipt = buildReceipt(anExecution({ lease: aLease(), outage: anOutage(), candidate: aChosenCandidate(), fence: aFence(), error }), NOW);
      expect(receipt.outcome).toBe('failed');
      expect(receipt.error).toEqual({ name: 'PromotionTimeout', message: 'standby_dr still in recovery after 30 s' });
      expect(receipt.reasons.at(-1)).toBe('PromotionTimeout: standby_dr still in recovery after 30 s');
    });

    it('keeps a cause that is not JSON (a local run) as the message', () => {
      const receipt = buildReceipt(anExecution({ error: { Error: 'States.Timeout', Cause: 'task timed out' } }), NOW);
      expect(receipt.error).toEqual({ name: 'States.Timeout', message: 'task timed out' });
    });

    it('keeps a JSON cause without an errorMessage as it is', () => {
      const receipt = buildReceipt(anExecution({ error: { Error: 'Lambda.Unknown', Cause: '{"reason":"out of memory"}' } }), NOW);
      expect(receipt.error?.message).toBe('{"reason":"out of memory"}');
    });

    it('is "failed" when a step failed even after a promotion', () => {
      expect(buildReceipt(aPromotedExecution({ error: { Error: 'DnsSyncTimeout', Cause: 'not INSYNC' } }), NOW).outcome).toBe('failed');
    });

    it('is "failed" when the run ended after fencing without a promotion or an error', () => {
      expect(buildReceipt(anExecution({ lease: aLease(), outage: anOutage(), candidate: aChosenCandidate(), fence: aFence() }), NOW).outcome).toBe('failed');
    });
  });

  describe('reasons', () => {
    it('lists the outage, the candidate’s reasons, the fencing and the promotion, in that order', () => {
      const receipt = buildReceipt(aPromotedExecution(), NOW);
      expect(receipt.reasons).toEqual([
        anOutage().reason,
        ...aChosenCandidate().reasons,
        aFence().reason,
        'standby_dr promoted in 650 ms',
        'standby_az2 streams from standby_dr on timeline 2',
      ]);
    });

    it('says a node was already primary when a previous run had promoted it', () => {
      const receipt = buildReceipt(aPromotedExecution({ promotion: aPromotion('standby_dr', { alreadyPrimary: true }) }), NOW);
      expect(receipt.alreadyPrimary).toBe(true);
      expect(receipt.reasons).toContain('standby_dr was already primary');
      expect(receipt.reasons.indexOf('standby_dr was already primary')).toBe(receipt.reasons.length - 2);
    });
  });

  describe('data loss', () => {
    it('carries the promoted candidate’s lag, its upper bound, and whether the operator accepted the loss', () => {
      expect(buildReceipt(aPromotedExecution(), NOW).dataLoss).toEqual({
        bytes: 1_200_000,
        seconds: 0.4,
        basis: 'writer position history',
        upperBoundBytes: 1_500_000,
        upperBoundSeconds: 0.9,
        acceptedByOperator: false,
        acknowledged: null,
      });
      expect(buildReceipt(aPromotedExecution({ mode: 'manual', acceptDataLoss: true }), NOW).dataLoss?.acceptedByOperator).toBe(true);
    });

    it('says whether the promoted node held every acknowledged commit, as the candidate step judged it from the record', () => {
      const acknowledged = { zeroLoss: false, detail: 'standby_dr is not the synchronous standby (standby_az2 is, since 2026-12-06T07:00:00.000Z): a data-loss failover (held to the lag guard); commits primary acknowledged may be lost' };
      const candidate = { ...aChosenCandidate('standby_dr'), acknowledged };
      expect(buildReceipt(aPromotedExecution({ candidate }), NOW).dataLoss?.acknowledged).toEqual(acknowledged);
    });

    it('reports the upper bound as null when the candidate step recorded none (a state from before it existed)', () => {
      const candidate = aChosenCandidate('standby_dr');
      // As the state arrives in JSON from an execution that never set them.
      const lag = JSON.parse(JSON.stringify({ ...candidate.lag, upperBoundBytes: undefined, upperBoundSeconds: undefined })) as typeof candidate.lag;
      expect('upperBoundBytes' in lag).toBe(false);
      const receipt = buildReceipt(aPromotedExecution({ candidate: { ...candidate, lag } }), NOW);
      expect(receipt.dataLoss).toMatchObject({ upperBoundBytes: null, upperBoundSeconds: null });
    });

    it('carries the bound on until the fence saw the old writer stopped', () => {
      const candidate = aChosenCandidate('standby_dr');
      const fence = aFence();
      const lag = { ...candidate.lag, writerRate: { bytesPerSecond: 100_000, carriedUntil: Date.parse(fence.endedAt) - 2000 } };
      const receipt = buildReceipt(aPromotedExecution({ candidate: { ...candidate, lag }, fence }), NOW);
      expect(receipt.dataLoss).toMatchObject({ upperBoundBytes: 1_500_000 + 200_000, upperBoundSeconds: 0.9 + 2 });
      // Unfenced, nothing says when it stopped writing: the estimate's own bound is reported.
      const unfenced = buildReceipt(aPromotedExecution({ candidate: { ...candidate, lag }, fence: aFence({ fenced: false, proceed: true }) }), NOW);
      expect(unfenced.dataLoss).toMatchObject({ upperBoundBytes: 1_500_000, upperBoundSeconds: 0.9 });
    });

    it('is null when a candidate was chosen but nothing was promoted', () => {
      expect(buildReceipt(anExecution({ candidate: aChosenCandidate(), fence: aFence() }), NOW).dataLoss).toBeNull();
    });
  });

  describe('what changed and when', () => {
    it('reports the DNS record and the DATABASE_URL parameters as rewritten, and the fencing', () => {
      const receipt = buildReceipt(aPromotedExecution(), NOW);
      expect(receipt.dns).toEqual({ status: 'in-sync', record: 'db.orders.internal', target: 'pg-dr.usw2.orders.internal', node: 'standby_dr', syncMs: 1400, reason: null });
      expect(receipt.dnsPending).toBeNull();
      expect(receipt.databaseUrl).toEqual(aDatabaseUrl().parameters.map(({ region, name, host, port }) => ({ region, name, host, port })));
      expect(receipt.fencing).toEqual({ node: 'primary', fenced: true, reason: aFence().reason, instanceState: 'stopped', acceptedUnfencedBy: null });
    });

    it('reports no DNS, no DATABASE_URL and no fencing for a run that stopped before them', () => {
      const receipt = buildReceipt(anExecution({ lease: aLease(), outage: anOutage({ decision: 'not-confirmed' }) }), NOW);
      expect(receipt).toMatchObject({ dns: null, databaseUrl: [], fencing: null, promoted: null });
    });

    it('lists the steps that ran in workflow order, with their times, and measures the total from the first step to now', () => {
      const state = aPromotedExecution({ lease: aLease(timing(0, 40)), repoint: aRepoint({ dns: aDns(timing(26, 1500)) }) });
      const receipt = buildReceipt(state, NOW);
      expect(receipt.steps.map((s) => s.step)).toEqual(['lease', 'outage', 'candidate', 'fence', 'promotion', 'databaseUrl', 'dns', 'followers']);
      expect(receipt.steps[6]).toEqual({ step: 'dns', ...timing(26, 1500) });
      expect(receipt.startedAt).toBe(timing(0, 40).startedAt);
      expect(receipt.finishedAt).toBe(NOW.toISOString());
      expect(receipt.totalMs).toBe(NOW.getTime() - Date.parse(timing(0, 40).startedAt));
    });

    it('starts the clock now when no step ran', () => {
      const receipt = buildReceipt(anExecution({ error: { Error: 'States.Runtime', Cause: 'bad input' } }), NOW);
      expect(receipt).toMatchObject({ steps: [], startedAt: NOW.toISOString(), totalMs: 0 });
    });

    it('names the cluster, the execution, the mode and the incident it answers', () => {
      const state = aPromotedExecution();
      expect(buildReceipt(state, NOW)).toMatchObject({ cluster: 'orders', execution: state.executionName, mode: 'automatic', incident: state.incident });
    });

    it('takes the previous primary from the outage step when no candidate step ran', () => {
      expect(buildReceipt(anExecution({ outage: anOutage({ primary: 'primary_b' }) }), NOW).previousPrimary).toBe('primary_b');
      expect(buildReceipt(anExecution(), NOW).previousPrimary).toBeNull();
    });
  });

  describe('the repoint: DATABASE_URL and the cluster record, which never wait on each other', () => {
    it('reports a promotion whose record Route 53 refused as promoted, with "DNS pending: reason" and the DATABASE_URLs written', () => {
      const receipt = buildReceipt(aPromotedExecution({ repoint: aRepoint({ dns: aDnsPending() }) }), NOW);

      expect(receipt.outcome).toBe('promoted');
      expect(receipt.error).toBeNull();
      expect(receipt.dns).toMatchObject({ status: 'pending', node: 'standby_dr', record: null, target: null });
      expect(receipt.dnsPending).toBe('DNS pending: AwsTransientError: route53:ChangeResourceRecordSets db.orders.internal in Z1 failed: ServiceUnavailable: injected fault');
      expect(receipt.reasons).toContain(receipt.dnsPending);
      expect(receipt.databaseUrl).toHaveLength(2);
      expect(receipt.steps.map((s) => s.step)).toEqual(['lease', 'outage', 'candidate', 'fence', 'promotion', 'databaseUrl', 'followers']);
    });

    it('reports a record still propagating with its reason, and no pending DNS', () => {
      const receipt = buildReceipt(aPromotedExecution({ repoint: aRepoint({ dns: aDns({ status: 'propagating', syncMs: null, reason: 'change C1 still PENDING after 120 s' }) }) }), NOW);

      expect(receipt.dns).toMatchObject({ status: 'propagating', syncMs: null, reason: 'change C1 still PENDING after 120 s' });
      expect(receipt.dnsPending).toBeNull();
    });

    it('reports a DATABASE_URL branch that failed as a failed failover with its error, keeping the record it moved', () => {
      const error = { Error: 'AwsTransientError', Cause: 'DATABASE_URL written in us-east-1 /a; not written in us-west-2 /a (boom)' };
      const receipt = buildReceipt(aPromotedExecution({ repoint: aRepoint({ databaseUrl: { failed: true, error } }), error }), NOW);

      expect(receipt.outcome).toBe('failed');
      expect(receipt.error).toEqual({ name: 'AwsTransientError', message: error.Cause });
      expect(receipt.databaseUrl).toEqual([]);
      expect(receipt.dns).toMatchObject({ status: 'in-sync' });
    });

    it('reports the followers branch: the standbys it re-pointed, or, when it failed, none and the failover failed with its error', () => {
      const done = buildReceipt(aPromotedExecution(), NOW);
      expect(done.followers).toEqual([{ node: 'standby_az2', outcome: 'streaming', repointed: true, detail: 'standby_az2 streams from standby_dr on timeline 2' }]);
      expect(done.generation).toBe(aFollowers().generation);

      const error = { Error: 'DatabaseUnreachableError', Cause: 'standby_az2: connection refused' };
      const failed = buildReceipt(aPromotedExecution({ repoint: aRepoint({ followers: { failed: true, error } }), error }), NOW);
      expect(failed.outcome).toBe('failed');
      expect(failed.followers).toEqual([]);
      expect(failed.generation).toBe(aPromotion().generation);
      expect(failed.steps.map((s) => s.step)).not.toContain('followers');
      expect(failed.databaseUrl).toHaveLength(2);
    });
  });
});
