import type { z } from 'zod';
import { clusterContext } from '../../shared/config/cluster-context';
import { lambda } from '../../shared/lambda';
import { planFailover, type FailoverPlan } from '../../shared/operators/plan';
import { planRequestSchema } from '../../shared/operators/requests';

/** Dry run: what a failover would decide now, and why. No side effect at all. */
export const plan = (request: z.output<typeof planRequestSchema>): Promise<FailoverPlan> =>
  planFailover(clusterContext(request.cluster), request.to);

export const handler = lambda('plan', plan, { input: planRequestSchema });
