import { existsSync, readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { monitorInput } from '../../functions/monitor/handler';
import { convergeDnsInput } from '../../functions/failover/converge-dns';
import { convergeFencesInput } from '../../functions/failover/converge-fences';
import { instanceStateEventSchema } from '../../functions/failover/node-returned';
import { executionInputSchema } from '../../shared/workflow/state';
import { alarmEventSchema } from '../../shared/decisions/trigger';
import {
  historyRequestSchema,
  manualFailoverRequestSchema,
  pauseRequestSchema,
  planRequestSchema,
  rejoinRequestSchema,
  resolveRequestSchema,
  resumeRequestSchema,
  statusRequestSchema,
  switchoverRequestSchema,
} from '../../shared/operators/requests';
import { witnessRequestSchema } from '../../shared/actions/witness';
import type { z } from 'zod';

/** The sample event of each function in serverless.yml (and the witness's stack), and the schema its handler validates with. */
const samples: Record<string, { event: string; schema: z.ZodType }> = {
  monitor: { event: 'monitor-schedule.json', schema: monitorInput },
  startFailover: { event: 'start-failover-alarm.json', schema: alarmEventSchema },
  acquireLease: { event: 'failover-state.json', schema: executionInputSchema },
  confirmOutage: { event: 'failover-state.json', schema: executionInputSchema },
  selectCandidate: { event: 'failover-state.json', schema: executionInputSchema },
  fencePrimary: { event: 'failover-state.json', schema: executionInputSchema },
  promoteCandidate: { event: 'failover-state.json', schema: executionInputSchema },
  repointDns: { event: 'failover-state.json', schema: executionInputSchema },
  rewriteDatabaseUrl: { event: 'failover-state.json', schema: executionInputSchema },
  publishReceipt: { event: 'failover-state.json', schema: executionInputSchema },
  releaseLease: { event: 'failover-state.json', schema: executionInputSchema },
  convergeDns: { event: 'converge-dns.json', schema: convergeDnsInput },
  convergeFences: { event: 'converge-fences.json', schema: convergeFencesInput },
  repointFollowers: { event: 'failover-state.json', schema: executionInputSchema },
  switchover: { event: 'switchover.json', schema: switchoverRequestSchema },
  failover: { event: 'failover-manual.json', schema: manualFailoverRequestSchema },
  plan: { event: 'plan.json', schema: planRequestSchema },
  status: { event: 'status.json', schema: statusRequestSchema },
  history: { event: 'history.json', schema: historyRequestSchema },
  rejoin: { event: 'rejoin.json', schema: rejoinRequestSchema },
  nodeReturned: { event: 'node-returned.json', schema: instanceStateEventSchema },
  pause: { event: 'pause.json', schema: pauseRequestSchema },
  resume: { event: 'resume.json', schema: resumeRequestSchema },
  resolve: { event: 'resolve.json', schema: resolveRequestSchema },
  witness: { event: 'witness.json', schema: witnessRequestSchema },
};

describe('sample events', () => {
  const functionsOf = (file: string) => Object.keys((parse(readFileSync(file, 'utf8').replace(/!Ref /g, '')) as { functions: object }).functions);
  const functions = [...functionsOf('serverless.yml'), ...functionsOf('serverless.witness.yml')];

  it('exist for every function in serverless.yml and serverless.witness.yml', () => {
    expect(Object.keys(samples).sort()).toEqual([...functions].sort());
    for (const { event } of Object.values(samples)) expect(existsSync(`events/${event}`)).toBe(true);
  });

  it.each(Object.entries(samples))('%s: its sample passes the handler input schema', (_fn, { event, schema }) => {
    const result = schema.safeParse(JSON.parse(readFileSync(`events/${event}`, 'utf8')));
    expect(result.error?.issues ?? []).toEqual([]);
  });
});
