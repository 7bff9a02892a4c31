import type { AlarmDefinition } from '../shared/infra/alarms';
import type { AckedWriter } from '../local/workload';
import type { AppClient } from './app-client';
import type { AlarmWatch } from './control-plane';
import type { DrillReport, DrillScenario } from './drill-report';
import type { Progress } from './progress';
import type { Cast, Expectation, Scenario } from './scenarios';
import type { DrillStack } from './stack';
import type { EndState } from './verify';

export interface DrillOptions {
  scenario: DrillScenario;
  /** @default config/clusters.example.yml */
  configFile?: string;
  cluster?: string;
  jsonFile?: string;
  htmlFile?: string;
  logFile?: string;
  /** Leave the stack running (see the report's `kept`). */
  keep?: boolean;
  /** An emulator to use instead of starting one (the integration tests share theirs). */
  emulatorEndpoint?: string;
  /** Progress lines. @default stdout */
  print?: (line: string) => void;
  /** Aborts the drill (Ctrl-C); it still tears down. */
  signal?: AbortSignal;
  /** Monitor: milliseconds between samples within an invocation (deployed: sampleIntervalSeconds). @default 1000 */
  sampleIntervalMs?: number;
  /** Local alarm evaluation interval. @default 1000 */
  alarmTickMs?: number;
}

/**
 * What a drill run has gathered so far, as the report reads it. A field is undefined (or null)
 * when the drill stopped before it got there; the report is assembled from whatever is present.
 */
export interface DrillRecord {
  readonly options: DrillOptions;
  readonly progress: Progress;
  readonly scenario: Scenario;
  readonly drill: DrillStack | undefined;
  readonly cast: Cast | undefined;
  readonly expected: Expectation | undefined;
  readonly alarm: AlarmDefinition | undefined;
  readonly watch: AlarmWatch | undefined;
  readonly writer: AckedWriter | undefined;
  readonly app: AppClient | undefined;
  readonly faultAt: number | null;
  readonly detectedAt: number | null;
  readonly receipt: unknown;
  readonly reasons: string[];
  readonly endState: EndState | undefined;
  readonly ackedRowsLost: number | null;
  readonly series: DrillReport['series'] | undefined;
  readonly kept: DrillReport['kept'];
  readonly error: string | null;
}
