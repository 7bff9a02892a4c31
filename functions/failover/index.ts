import { handler as acquireLease } from './acquire-lease';
import { handler as confirmOutage } from './confirm-outage';
import { handler as fencePrimary } from './fence-primary';
import { handler as promoteCandidate } from './promote-candidate';
import { handler as publishReceipt } from './publish-receipt';
import { handler as releaseLease } from './release-lease';
import { handler as repointFollowers } from './repoint-followers';
import { handler as repointDns } from './repoint-dns';
import { handler as rewriteDatabaseUrl } from './rewrite-database-url';
import { handler as selectCandidate } from './select-candidate';

/**
 * The Lambda handlers the failover definition's Tasks name (by their serverless.yml function key).
 * The local runner resolves each Task's `Fn::GetAtt` through this map, so it runs the very
 * handlers (validation included) that are deployed.
 */
export const failoverTaskHandlers = {
  acquireLease,
  confirmOutage,
  selectCandidate,
  fencePrimary,
  promoteCandidate,
  repointFollowers,
  repointDns,
  rewriteDatabaseUrl,
  publishReceipt,
  releaseLease,
} as const;

export type FailoverFunctionKey = keyof typeof failoverTaskHandlers;
