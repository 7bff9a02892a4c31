import type { AlarmDefinition } from '../shared/infra/alarms';
import type { AckedWriter } from '../local/workload';
import type { AppClient } from './app-client';
import type { AlarmWatch } from './control-plane';
import type { ConvergenceFigures, DrillLeg, DrillReport, DrillScenario } from './drill-report';
import type { Progress } from './progress';
import type { Cast, Expectation, Scenario } from './scenarios';
import type { DrillStack } from './stack';
import type { EndState } from './verify';

/**
 * What a drill has built up so far; the report is assembled from it however far the run got
 * (undefined and null: the run did not get there). The drill's runner implements it.
 */
export interface DrillRunState {
  readonly progress: Progress;
  readonly scenario: Pick<Scenario, 'name'> & { name: DrillScenario };
  readonly options: { configFile?: string; cluster?: string };
  drill: DrillStack | undefined;
  cast: Cast | undefined;
  expected: Expectation | undefined;
  alarm: AlarmDefinition | undefined;
  watch: AlarmWatch | undefined;
  writer: AckedWriter | undefined;
  app: AppClient | undefined;
  faultAt: number | null;
  detectedAt: number | null;
  receipt: unknown;
  reasons: string[];
  endState: EndState | undefined;
  ackedRowsLost: number | null;
  /** Fault → the record INSYNC on Route 53 plus its TTL (null: the record did not move). */
  dnsRtoMs: number | null;
  series: DrillReport['series'] | undefined;
  kept: DrillReport['kept'];
  error: string | null;
  /** What the scheduled convergence finished after the fault ended (null: not such a scenario). */
  convergence: ConvergenceFigures | null;
  /** A sequence's legs (undefined: a single fault, reported as one leg). */
  legs?: DrillLeg[];
  probe?: DrillReport['probe'];
  commitGapMs?: DrillReport['commitGapMs'];
  synchronousAfter?: DrillReport['synchronousAfter'];
}
